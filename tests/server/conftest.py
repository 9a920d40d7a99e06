"""Fixtures for the server API and permission tests: an app with permission-protected views, its
``stack.server``, and raw HTTP helpers for the emulator (admin-key calls, client calls with a token)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from flask_stackauth.server import ServerAPI
from tests.server.server_support import Raw, make_server_app, stack


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Flask:
    """The app under test (pytest-flask builds ``client`` from it)."""
    return make_server_app(stackauth_config)


@pytest.fixture
def server(app: Flask) -> Iterator[ServerAPI]:
    """``stack.server`` inside the app's context."""
    with app.app_context():
        yield stack.server


@pytest.fixture
def raw(stackauth_emulator: Any) -> Raw:
    """Raw HTTP helpers for the emulator."""
    return Raw(stackauth_emulator)
