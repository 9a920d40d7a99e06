"""Fixtures for the emulator's own tests: one server per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flask_stackauth.emulator import Emulator, EmulatorServer, run_emulator


@pytest.fixture(scope="session")
def server() -> Iterator[EmulatorServer]:
    """A running emulator (current, v2.8-like behaviour) shared by the session."""
    with run_emulator(legacy_tokens=False) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        srv: EmulatorServer = request.getfixturevalue("server")
        srv.emulator.reset()
    if "legacy_server" in request.fixturenames:
        lsrv: EmulatorServer = request.getfixturevalue("legacy_server")
        lsrv.emulator.reset()


@pytest.fixture
def emu(server: EmulatorServer) -> Emulator:
    """The emulator behind ``server``."""
    return server.emulator


@pytest.fixture(scope="session")
def legacy_server() -> Iterator[EmulatorServer]:
    """A running emulator in legacy (v2.7-like) mode."""
    with run_emulator(legacy_tokens=True) as srv:
        yield srv
