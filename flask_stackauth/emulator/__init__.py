"""A local, in-memory emulator of the Stack Auth REST API for tests and development.

Start it with ``python -m flask_stackauth.emulator`` or, in tests, ``with run_emulator() as server:``.
"""

from __future__ import annotations

from .core import Emulator
from .errors import KnownError, StatusError
from .server import EmulatorServer, run_emulator
from .state import (
    DEV_PROJECT_ID,
    DEV_PUBLISHABLE_CLIENT_KEY,
    DEV_SECRET_SERVER_KEY,
    DEV_SUPER_SECRET_ADMIN_KEY,
    ProjectConfig,
)

__all__ = [
    "DEV_PROJECT_ID",
    "DEV_PUBLISHABLE_CLIENT_KEY",
    "DEV_SECRET_SERVER_KEY",
    "DEV_SUPER_SECRET_ADMIN_KEY",
    "Emulator",
    "EmulatorServer",
    "KnownError",
    "ProjectConfig",
    "StatusError",
    "run_emulator",
]
