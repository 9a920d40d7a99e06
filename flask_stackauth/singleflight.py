"""Single-flight token refresh: concurrent refreshes of one refresh token share one call to Stack Auth.

Pure (no Flask): the per-app :class:`~flask_stackauth.state.StackAuthState` owns one
:class:`RefreshCoordinator`; :mod:`flask_stackauth.refresh` runs session refreshes through it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from .errors import StackAuthUnavailable
from .tokens import TokenSet


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: TokenSet | None = None
        self.error: BaseException | None = None


def _fingerprint(refresh_token: str) -> str:
    # Keyed by a digest so the registry never holds refresh tokens themselves.
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class ClusterRefreshLock(Protocol):
    """Single-flight across processes, such as :class:`~flask_stackauth.redis_lock.RedisRefreshLock`."""

    def refresh(self, refresh_token: str, run: Callable[[], TokenSet], *, min_valid: float,
                timeout: float) -> TokenSet:
        """Tokens another process just got for ``refresh_token``, else ``run()``'s."""

    def forget(self, refresh_token: str) -> None:
        """Drop what other processes could reuse for ``refresh_token``."""


class RefreshCoordinator:
    """Makes concurrent refreshes of one refresh token in this process share a single call.

    The first caller runs the refresh; others wait for its result. A result is also remembered until
    it nears expiry, so requests that still carry the old cookie after the refresh finished reuse
    the new access token instead of refreshing again.
    """

    def __init__(self, max_remembered: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self._recent: OrderedDict[str, TokenSet] = OrderedDict()
        self._max = max_remembered
        #: Also share refreshes between processes (``STACK_REFRESH_LOCK_REDIS_URL``); ``None``: per process.
        self.cluster_lock: ClusterRefreshLock | None = None

    def forget(self, refresh_token: str) -> None:
        """Drop what is remembered for ``refresh_token`` (after sign-out or a failed refresh)."""
        with self._lock:
            self._recent.pop(_fingerprint(refresh_token), None)
        if self.cluster_lock is not None:
            self.cluster_lock.forget(refresh_token)

    def refresh(self, refresh_token: str, run: Callable[[], TokenSet], *, min_valid: float,
                timeout: float) -> TokenSet:
        """Return fresh tokens for ``refresh_token``, running ``run`` at most once at a time.

        :param min_valid: a remembered result is reused only with more than this many seconds left.
        :param timeout: how long a follower waits for the leader before giving up.
        """
        key = _fingerprint(refresh_token)
        with self._lock:
            recent = self._recent.get(key)
            if recent is not None and recent.expires_in() > min_valid:
                return recent
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            try:
                lock = self.cluster_lock
                flight.result = run() if lock is None else lock.refresh(refresh_token, run, min_valid=min_valid,
                                                                        timeout=timeout)
            except BaseException as exc:
                flight.error = exc
            finally:
                with self._lock:
                    self._flights.pop(key, None)
                    if flight.result is not None:
                        self._recent[key] = flight.result
                        self._recent.move_to_end(key)
                        while len(self._recent) > self._max:
                            self._recent.popitem(last=False)
                flight.done.set()
        elif not flight.done.wait(timeout):
            raise StackAuthUnavailable("Timed out waiting for a token refresh in progress.")
        if flight.error is not None:
            raise flight.error
        assert flight.result is not None
        return flight.result
