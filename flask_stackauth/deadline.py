"""A total deadline per HTTP call: connect, headers and the whole body, not a timeout per socket read.

``requests`` (and urllib3 under it) time out each socket operation on its own, so an upstream that sends one
byte just inside each timeout holds a call for as long as it drips. Here every socket of the adapter's pools
bounds each read and write by the time left until the deadline of the call in progress (a thread-local set
by :func:`deadline`), so the call fails once that time is spent, whatever the upstream does.

Name resolution (``getaddrinfo``) cannot be interrupted and is not bounded; through a SOCKS proxy or
TLS inside TLS the plain per-read timeout applies.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import ProxyManager

_local = threading.local()


class DeadlineExceeded(TimeoutError):
    """The call's total deadline passed (a :class:`TimeoutError`, so urllib3 reports it as a timeout)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Bound every socket operation of the adapter's connections in this thread by ``seconds`` from now.

    Nested deadlines keep the earlier one.
    """
    previous: float | None = getattr(_local, "deadline", None)
    mine = time.monotonic() + seconds
    _local.deadline = mine if previous is None else min(previous, mine)
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float | None:
    """Seconds left before this thread's deadline, or ``None`` outside :func:`deadline`."""
    end: float | None = getattr(_local, "deadline", None)
    return None if end is None else end - time.monotonic()


class _DeadlineSocket:
    """A connected socket whose reads and writes never outlast the current deadline.

    Everything else is the wrapped socket's. ``makefile`` is re-implemented so that ``http.client``'s reads
    of the status line, headers and body come through :meth:`recv_into` here.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._timeout: float | None = sock.gettimeout()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        left = remaining()
        if left is None:
            self._sock.settimeout(self._timeout)
            return
        if left <= 0:
            raise DeadlineExceeded("timed out: the call's deadline passed")
        self._sock.settimeout(left if self._timeout is None else min(left, self._timeout))

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return self._sock.recv(*args)

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return self._sock.recv_into(*args)

    def send(self, *args: Any) -> int:
        self._arm()
        return self._sock.send(*args)

    def sendall(self, *args: Any) -> None:
        self._arm()
        self._sock.sendall(*args)

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> io.BufferedReader:
        if mode not in ("r", "rb"):
            raise ValueError(f"only reading is supported through the deadline, not mode {mode!r}")
        # As socket.makefile does: the socket stays open until this reader is closed too.
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)


def _wrap(sock: Any) -> Any:
    return _DeadlineSocket(sock) if isinstance(sock, socket.socket) else sock


def _bound_connect_timeout(conn: HTTPConnection) -> None:
    left = remaining()
    if left is not None:
        if left <= 0:
            raise DeadlineExceeded("timed out: the call's deadline passed")
        current = conn.timeout
        conn.timeout = left if not isinstance(current, (int, float)) else min(current, left)


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _bound_connect_timeout(self)
        super().connect()
        self.sock = _wrap(self.sock)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _bound_connect_timeout(self)
        super().connect()
        self.sock = _wrap(self.sock)


class _DeadlineHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS = {"http": _DeadlineHTTPConnectionPool, "https": _DeadlineHTTPSConnectionPool}


class DeadlineAdapter(HTTPAdapter):
    """An :class:`~requests.adapters.HTTPAdapter` whose connections honour :func:`deadline`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:  # not SOCKS: its pools make their own connections
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
