"""Fixtures of the wire-fidelity tests: a loopback server answering what real Stack Auth servers recorded."""

from __future__ import annotations

from fidelity_support import recorded_stack

__all__ = ["recorded_stack"]
