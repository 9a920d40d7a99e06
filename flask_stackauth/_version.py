"""The package version (its own module, so that low modules read it without importing the package)."""

from __future__ import annotations

__version__ = "0.1.0"
