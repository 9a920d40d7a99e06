"""Backend tests: the app under test served on a loopback port, so the emulator can deliver real webhooks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from flask_stackauth import StackAuth, WebhookEvent

#: The secret the test apps and their emulator endpoints share (any ``whsec_`` + base64 of 16+ bytes).
SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0xMjM0NTY3OA=="
OTHER_SECRET = "whsec_YW5vdGhlci13ZWJob29rLXNlY3JldC04NzY1NDM="


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread (real HTTP); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


class Recorder:
    """Handlers that record every event they were called with (thread-safe: the server is threaded)."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent[Any]] = []
        self._lock = threading.Lock()

    def __call__(self, event: WebhookEvent[Any]) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, event_type: str) -> list[WebhookEvent[Any]]:
        with self._lock:
            return [e for e in self.events if e.type == event_type]




@pytest.fixture
def make_webhook_app(stackauth_config: dict[str, Any]) -> Callable[..., tuple[Flask, Recorder]]:
    """``make_webhook_app(**config)``: an app whose ``"*"`` handler records every event it handled."""

    def make(**extra: Any) -> tuple[Flask, Recorder]:
        app = Flask("webhookapp")
        app.config.update({"SECRET_KEY": "test-secret-key-" + "x" * 32, "TESTING": True, **stackauth_config,
                           "STACK_WEBHOOK_SECRET": SECRET, **extra})
        stack = StackAuth(app)
        recorder = Recorder()
        stack.on("*")(recorder)
        return app, recorder

    return make
