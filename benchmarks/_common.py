"""Shared set-up for the benchmarks: an emulator, an app protected by flask-stackauth, a signed-in client."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from flask_stackauth import StackAuth, current_user, login_required
from flask_stackauth.emulator import EmulatorServer, run_emulator
from flask_stackauth.testing import emulator_config, sign_in_client


def emulator() -> AbstractContextManager[EmulatorServer]:
    """A running emulator on a loopback port."""
    return run_emulator()


def stack_app(server: EmulatorServer, **config: Any) -> Flask:
    """An app with one view protected by ``@login_required`` and one unprotected view, both trivial."""
    app = Flask("bench")
    app.config.update({"SECRET_KEY": "bench-" + "x" * 40, **emulator_config(server), **config})
    StackAuth(app)

    @app.get("/protected")
    @login_required
    def protected() -> str:
        return current_user.id or ""

    @app.get("/open")
    def open_view() -> str:
        return "ok"

    return app


def signed_in_client(server: EmulatorServer, app: Flask) -> FlaskClient:
    """A test client signed in with a real emulator session, the JWKS cache warm."""
    client = app.test_client()
    sign_in_client(server, client, "bench@example.com")
    assert client.get("/protected").status_code == 200
    return client


def compare(calls: dict[str, Callable[[], Any]], requests: int, rounds: int = 15) -> dict[str, float]:
    """Median requests per second of each call, over ``rounds`` rounds of ``requests`` calls each.

    The variants take turns inside every round, so a noisy neighbour slows them all alike and the
    ratios between them stay meaningful on a shared machine.
    """
    results: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(requests):
                call()
            results[name].append(requests / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in results.items()}
