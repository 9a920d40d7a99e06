"""A misbehaving proxy in front of the emulator, for fault injection the emulator itself does not offer.

Requests are forwarded to the emulator unchanged, except under a path prefix with a rule: there the proxy
answers a fixed body (a JWKS without a usable key, say) or drips bytes one at a time (a slow-loris upstream).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "te",
               "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}


@dataclass
class Rule:
    """What the proxy does for paths under ``prefix``.

    ``kind``: ``"body"`` answers ``status`` with ``body``; ``"drip"`` sends the status line and headers at
    once, then a body of ``size`` bytes one byte per ``interval`` seconds; ``"drip-headers"`` drips the
    header block itself.
    """

    prefix: str
    kind: str
    body: bytes = b""
    status: int = 200
    size: int = 40
    interval: float = 0.5
    #: Bytes dripped so far and whether a drip ran to its end (counted over all requests of this rule).
    sent: int = 0
    completed: int = 0
    hits: int = 0


@dataclass
class MisbehavingProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def add(self, prefix: str, kind: str, **options: Any) -> Rule:
        rule = Rule(prefix, kind, **options)
        with self.lock:
            self.rules.insert(0, rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def rule_for(self, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if path.startswith(rule.prefix):
                    rule.hits += 1
                    return rule
        return None

    def start(self) -> MisbehavingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                rule = proxy.rule_for(self.path.split("?", 1)[0])
                if rule is None:
                    self._forward(data)
                elif rule.kind == "body":
                    self._answer(rule.status, rule.body)
                elif rule.kind == "drip":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(rule.size))
                    self.end_headers()
                    self.wfile.flush()
                    self._drip(rule, b"[" * rule.size)
                elif rule.kind == "drip-headers":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                    self._drip(rule, b"X-Slow: " + b"a" * rule.size)
                self.close_connection = True

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _handle

            def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {"Content-Type": "application/json"}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, rule: Rule, payload: bytes) -> None:
                for index, byte in enumerate(payload):
                    if index:
                        time.sleep(rule.interval)
                    if proxy.stopping.is_set():
                        return
                    last = index == len(payload) - 1
                    # Counted before the write, so the client cannot see a byte the counter does not.
                    with proxy.lock:
                        rule.sent += 1
                        rule.completed += last
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        with proxy.lock:  # the client gave up: what the deadline is for
                            rule.sent -= 1
                            rule.completed -= last
                        return

            def _forward(self, data: bytes) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}}
                upstream = requests.request(self.command, proxy.upstream + self.path, headers=headers, data=data,
                                            allow_redirects=False, timeout=10)
                kept = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_BY_HOP}
                self._answer(upstream.status_code, upstream.content, kept)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, name="misbehaving-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
