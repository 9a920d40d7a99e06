"""Helpers for the sec2 security tests: a misbehaving loopback proxy in front of the emulator, sessions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from flask.testing import FlaskClient

from flask_stackauth.tokens import TOKENS_KEY, TokenSet, save_tokens
from flask_stackauth.verify import peek_claims

TOKEN = "/api/v1/auth/oauth/token"
PROJECT = "/api/v1/projects/current"
SESSIONS = "/api/v1/auth/sessions/current"
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}

#: ``rewrite(method, path, body, upstream)`` returns ``(status, json_body)`` to answer instead, or ``None``.
Rewrite = Callable[[str, str, bytes, Callable[[], requests.Response]], "tuple[int, Any] | None"]


class Proxy:
    """A loopback HTTP proxy to ``upstream`` whose answers a test may rewrite (``proxy.rewrite = ...``)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rewrite: Rewrite | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}

                def forward() -> requests.Response:
                    return requests.request(self.command, proxy.upstream + self.path, headers=headers, data=body,
                                            allow_redirects=False, timeout=10)

                rewritten = proxy.rewrite(self.command, self.path, body, forward) if proxy.rewrite else None
                if rewritten is not None:
                    status, payload = rewritten
                    data = json.dumps(payload).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                answer = forward()
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Proxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def proxy_to(server: Any) -> Iterator[Proxy]:
    """A :class:`Proxy` in front of the emulator ``server``."""
    with Proxy(server.url) as proxy:
        yield proxy


def proxied_config(stackauth_config: dict[str, Any], server: Any, proxy: Proxy) -> dict[str, Any]:
    """Settings pointing the app at ``proxy``; the emulator's own issuer is accepted (it signs as itself)."""
    pid = server.project_id
    return {**stackauth_config, "STACK_API_URL": proxy.url,
            "STACK_JWT_ISSUERS": f"{server.url}/api/v1/projects/{pid}"}


def put_session(client: FlaskClient, pair: dict[str, Any]) -> TokenSet:
    """Store an emulator token pair in ``client``'s session, as a sign-in would."""
    tokens = TokenSet(pair["access_token"], pair["refresh_token"], int(peek_claims(pair["access_token"])["exp"]))
    with client.session_transaction() as session:
        save_tokens(session, tokens)
    return tokens


def stored(client: FlaskClient) -> dict[str, Any] | None:
    """The token pair in ``client``'s session."""
    with client.session_transaction() as session:
        value = session.get(TOKENS_KEY)
    return dict(value) if isinstance(value, dict) else None


def age(client: FlaskClient, seconds_left: float) -> None:
    """Make the stored access token look like it expires in ``seconds_left`` (as if time had passed)."""
    with client.session_transaction() as session:
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "expires_at": int(time.time() + seconds_left)}
