"""Per-process caches for API key checks: answers per key digest with a TTL, single-flight on a miss.

Pure (no Flask): the per-app :class:`~flask_stackauth.state.StackAuthState` owns one :class:`ApiKeyCaches`;
:mod:`flask_stackauth.api_key_auth` fills it. Keys are kept only as SHA-256 digests, never themselves.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .errors import StackAuthUnavailable

T = TypeVar("T")


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


def digest(secret: str) -> str:
    """The cache key for ``secret`` (an API key, a user id): its SHA-256, so no cache holds a key itself."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class SingleFlightCache(Generic[T]):
    """Values (and refusals) per key, each until its own expiry; concurrent misses of one key share one load.

    ``load`` returns the value and how many seconds to keep it; ``error_ttl`` says how long a raised error is
    remembered and raised again without a call (0: not at all, as for outages). Bounded: the oldest entries go.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, T | None, BaseException | None]] = OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._max = max_entries

    def get(self, key: str, load: Callable[[], tuple[T, float]], *,
            error_ttl: Callable[[BaseException], float], timeout: float) -> T:
        """The value for ``key`` (already a digest), loading it at most once at a time.

        :param timeout: how long a follower waits for the leader's load before giving up (503).
        """
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                if entry[2] is not None:
                    raise entry[2].with_traceback(None)  # without it, each raise grows the stored traceback
                return entry[1]  # type: ignore[return-value]
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            ttl = 0.0
            try:
                flight.value, ttl = load()
            except BaseException as exc:
                flight.error = exc
                ttl = error_ttl(exc)
            finally:
                with self._lock:
                    self._flights.pop(key, None)
                    if ttl > 0:
                        self._entries[key] = (time.monotonic() + ttl, flight.value, flight.error)
                        self._entries.move_to_end(key)
                        while len(self._entries) > self._max:
                            self._entries.popitem(last=False)
                    else:
                        self._entries.pop(key, None)
                flight.done.set()
        elif not flight.done.wait(timeout):
            raise StackAuthUnavailable("Timed out waiting for an API key check in progress.")
        if flight.error is not None:
            raise flight.error
        return flight.value  # type: ignore[no-any-return]

    def forget(self, key: str) -> None:
        """Drop what is cached for ``key``."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()


class ApiKeyCaches:
    """Everything the API key checks keep for one app: checked keys, their users, and one-time warnings."""

    def __init__(self) -> None:
        #: ``ApiKey`` records (or the refusal) per key digest.
        self.keys: SingleFlightCache[Any] = SingleFlightCache()
        #: ``ServerUser`` records per user id, for ``current_user`` of a user key.
        self.users: SingleFlightCache[Any] = SingleFlightCache()
        #: Which "API keys cannot work here" problems were logged (each once per app).
        self.warned: set[str] = set()
