"""Fixtures for the emulator's own tests. ``server`` is the suite's one emulator (``stackauth_emulator``, reset
before each test; its controls are the suite's ``emu``, its v2.7 mode the suite's ``legacy``).
``legacy_server`` is a second emulator that stays in v2.7 mode, for tests that talk to both generations at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flask_stackauth.emulator import EmulatorServer, run_emulator


@pytest.fixture
def server(stackauth_emulator: EmulatorServer) -> EmulatorServer:
    """The running emulator (current, v2.8-like behaviour unless the test asks for ``legacy``)."""
    return stackauth_emulator


@pytest.fixture(scope="session")
def _legacy_emulator_server() -> Iterator[EmulatorServer]:
    with run_emulator(legacy_tokens=True) as srv:
        yield srv


@pytest.fixture
def legacy_server(_legacy_emulator_server: EmulatorServer) -> EmulatorServer:
    """A second running emulator in v2.7 mode, reset before the test."""
    _legacy_emulator_server.emulator.reset()
    return _legacy_emulator_server
