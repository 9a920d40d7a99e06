"""A loopback "Stack Auth" that answers what a real server recorded, and records what our code sent.

The recordings in ``../shared/stackauth-wire/{v2.7.16,v2.8.86}`` hold, for each step, the ``request`` Stack's JS
SDK made (method, path with query, access type, the ``x-stack-*`` header names, the body) and the real answer.
:class:`RecordedStack` is a tiny HTTP server that answers each request with the answer of the next queued step
and keeps what it received, so a test can run one of our functions and then hold its request to the SDK's
(:func:`assert_same_request`) and its result to what the real answer means.

This is fault injection with real answers, not an emulator: it checks nothing but what the recording says.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from flask_stackauth.client import StackAuthClient
from flask_stackauth.config import StackAuthSettings

WIRE = Path(__file__).resolve().parents[2].parent / "shared" / "stackauth-wire"
VERSIONS = ("v2.7.16", "v2.8.86")
PROJECT = "internal"
PUBLISHABLE = "this-publishable-client-key-is-for-local-development-only"
SECRET = "this-secret-server-key-is-for-local-development-only"
ACCESS = "recorded-access-token"
REFRESH = "recorded-refresh-token"

#: Headers Stack's SDK sends on every request (v2.8 era) that Stack only reads on some routes:
#: ``x-stack-allow-anonymous-user`` matters only with an access token (smart-request.tsx), and
#: ``x-stack-refresh-token`` only where :data:`READS_REFRESH_TOKEN` says.
SDK_ALWAYS = {"x-stack-allow-anonymous-user", "x-stack-refresh-token"}
#: Routes whose handlers read ``x-stack-refresh-token`` (password/update/route.tsx, sessions/current/route.tsx
#: on v2.7, sessions/current/refresh/route.tsx).
READS_REFRESH_TOKEN = {"/api/v1/auth/password/update", "/api/v1/auth/sessions/current",
                       "/api/v1/auth/sessions/current/refresh"}
#: Headers this library adds that the recordings do not list (allowed, never required).
OURS_EXTRA = {"x-stack-client-version", "x-stack-allow-anonymous-user"}


def load(version: str, name: str) -> dict[str, Any]:
    """One recording file (``account``, ``teams`` ...), or skip when the shared recordings are absent."""
    path = WIRE / version / f"{name}-result.json"
    if not path.exists():
        pytest.skip(f"shared Stack Auth wire recordings not available at {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def step(version: str, name: str, key: str) -> dict[str, Any]:
    """One recorded step (its ``request`` and answer)."""
    data = load(version, name)
    if key not in data:
        pytest.skip(f"{version}/{name} has no step {key!r}")
    recorded: dict[str, Any] = data[key]
    return recorded


@dataclass
class Received:
    """One request as the loopback server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw_body: bytes

    @property
    def stack_headers(self) -> set[str]:
        """The names of the ``x-stack-*`` headers sent."""
        return {k for k in self.headers if k.startswith("x-stack-")}


@dataclass
class RecordedStack:
    """The loopback server: answers queued recorded steps in order, keeps every request."""

    answers: list[dict[str, Any]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""
    #: Answers given to every request for a path (``/api/v1/projects/current`` ...), not taken from the queue.
    always: dict[str, dict[str, Any]] = field(default_factory=dict)

    def answer(self, *recorded: dict[str, Any]) -> RecordedStack:
        """Queue the answers of these recorded steps, one per coming request."""
        self.answers.extend(recorded)
        return self

    def client(self, **settings: Any) -> StackAuthClient:
        """A :class:`StackAuthClient` pointed at this server with the recordings' development keys."""
        values: dict[str, Any] = {"project_id": PROJECT, "publishable_client_key": PUBLISHABLE,
                                  "secret_server_key": SECRET, "api_url": self.url, "http_timeout": 5.0}
        values.update(settings)
        return StackAuthClient(StackAuthSettings(**values))

    def handle(self, got: Received) -> tuple[int, dict[str, str], bytes]:
        if got.path in self.always:
            recorded = self.always[got.path]
        else:
            self.received.append(got)
            if not self.answers:
                return 599, {"content-type": "text/plain"}, b"no recorded answer queued"
            recorded = self.answers.pop(0)
        headers = {k: v for k, v in recorded.get("headers", {}).items()
                   if k in ("content-type", "x-stack-known-error")}
        body = recorded.get("body")
        if isinstance(body, str):
            data = body.encode()
        elif body is None and not headers.get("content-type"):
            data = b""
        else:
            data = json.dumps(body).encode()
        return int(recorded["status"]), headers, data


def _handler(stack: RecordedStack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            got = Received(self.command, unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True)),
                           {k.lower(): v for k, v in self.headers.items()}, body, raw)
            status, headers, data = stack.handle(got)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def recorded_stack() -> Iterator[RecordedStack]:
    """A :class:`RecordedStack` on a loopback port, for one test."""
    stack = RecordedStack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stack))
    stack.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield stack
    finally:
        server.shutdown()
        server.server_close()


def assert_same_request(got: Received, recorded: dict[str, Any], *, where: str = "",
                        not_required: frozenset[str] = frozenset()) -> None:
    """Our request has the recorded method, path, query, access type, headers and body.

    Header names: every header the SDK sent that Stack reads must be there, and nothing but what the SDK sent
    (plus :data:`OURS_EXTRA`). Path segments are compared decoded (the recorder wrote some unencoded).

    :param not_required: headers the recording sent that the route does not need (a step recorded with a session
        for a call documented as needing none).
    """
    want = recorded["request"]
    parts = urlsplit(want["path"])
    label = where or want["path"]
    assert got.method == want["method"], label
    assert got.path == unquote(parts.path), label
    assert got.query == dict(parse_qsl(parts.query, keep_blank_values=True)), label
    assert got.headers.get("x-stack-access-type") == want["access_type"], label
    sent = set(want["headers_sent"])
    required = sent - SDK_ALWAYS - not_required
    if "x-stack-refresh-token" in sent and got.path in READS_REFRESH_TOKEN:
        required.add("x-stack-refresh-token")
    assert required <= got.stack_headers, (label, required - got.stack_headers)
    assert got.stack_headers <= sent | OURS_EXTRA, (label, got.stack_headers - sent - OURS_EXTRA)
    if "x-stack-allow-anonymous-user" in got.stack_headers:
        assert got.headers["x-stack-allow-anonymous-user"] == "true", label
    if want.get("body") is None:
        assert got.raw_body == b"", (label, got.raw_body)
    else:
        assert got.body == want["body"], (label, got.body, want["body"])
        assert got.headers.get("content-type", "").startswith("application/json"), label


def path_part(recorded: dict[str, Any], index: int) -> str:
    """The ``index``-th segment of the recorded path (ids to pass to our functions)."""
    return unquote(urlsplit(recorded["request"]["path"]).path).split("/")[index]


def both(*keys: str) -> list[Any]:
    """``pytest.mark.parametrize`` values: (version, step) for both servers."""
    return [pytest.param(v, k, id=f"{v}-{k}") for v in VERSIONS for k in keys]
