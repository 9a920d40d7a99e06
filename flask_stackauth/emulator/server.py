"""Run the emulator on a real socket in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .core import Emulator
from .state import DEV_PROJECT_ID, DEV_PUBLISHABLE_CLIENT_KEY, DEV_SECRET_SERVER_KEY, DEV_SUPER_SECRET_ADMIN_KEY


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class EmulatorServer:
    """A threaded werkzeug server for an :class:`Emulator` (port 0 picks a free port)."""

    project_id = DEV_PROJECT_ID
    publishable_key = DEV_PUBLISHABLE_CLIENT_KEY
    secret_server_key = DEV_SECRET_SERVER_KEY
    super_secret_admin_key = DEV_SUPER_SECRET_ADMIN_KEY

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True) -> None:
        self.emulator = emulator
        self.quiet = quiet
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> EmulatorServer:
        """Bind and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = make_server(
            self.host,
            self.port,
            self.emulator.wsgi_app,
            threaded=True,
            request_handler=_QuietHandler if self.quiet else None,
        )
        self._server = server
        self.port = server.server_port
        if self.emulator.base_url is None:
            # Like a real server's configured API URL: tokens minted outside a request get this issuer too.
            self.emulator.base_url = self.url
        self._thread = threading.Thread(target=server.serve_forever, name="stackauth-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.emulator.webhooks.close()

    # --- webhooks (the same as the /_emulator/webhooks controls) ---------------------------------

    def add_webhook_endpoint(self, url: str, *, secret: str | None = None, event_types: list[str] | None = None,
                             header_style: str = "svix") -> dict[str, Any]:
        """Register a webhook receiver; answer it as ``GET /_emulator/webhooks/endpoints`` lists it.

        Without ``secret`` the endpoint gets a fresh ``whsec_`` secret (read it from the answer).
        """
        return self.emulator.webhooks.add_endpoint(url, secret=secret, event_types=event_types,
                                                   header_style=header_style).to_json()

    def remove_webhook_endpoint(self, endpoint_id: str) -> bool:
        """Unregister a webhook receiver; return whether it existed."""
        return self.emulator.webhooks.remove_endpoint(endpoint_id)

    def webhook_messages(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The events sent since the last reset (``GET /_emulator/webhooks/messages``)."""
        return self.emulator.webhooks.messages(event_type=event_type)

    def webhook_deliveries(self, *, endpoint_id: str | None = None, message_id: str | None = None,
                           event_type: str | None = None) -> list[dict[str, Any]]:
        """Every delivery attempt and its answer (``GET /_emulator/webhooks/deliveries``)."""
        return self.emulator.webhooks.deliveries(endpoint_id=endpoint_id, message_id=message_id,
                                                 event_type=event_type)

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until every scheduled delivery attempt has been made; return whether that happened in time."""
        return self.emulator.webhooks.wait_idle(timeout)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextmanager
def run_emulator(
    legacy_tokens: bool = False,
    access_token_lifetime: int = 600,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[EmulatorServer]:
    """Run a fresh emulator on ``host`` (a free port by default) for the ``with`` block."""
    server = EmulatorServer(
        Emulator(legacy_tokens=legacy_tokens, access_token_lifetime=access_token_lifetime), host, port
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
