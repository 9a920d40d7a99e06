"""Which webhook message ids were already handled: per process (bounded), or in Redis so every worker agrees.

Svix delivers at least once: the same ``svix-id`` comes again after a timeout, a 5xx, or from a second
endpoint pointed at the same app. A message is *claimed* before its handlers run (``SET NX`` in Redis) and
marked *done* after they succeeded; a failed run releases the claim, so Svix's retry runs the handlers again.
A duplicate that arrives while the first delivery is still running is answered "busy" (Svix retries it later),
never "done": the first run may still fail.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Literal

from .redis_lock import SHARED_URL_SETTING, URL_SETTING, _redis_from_url

log = logging.getLogger("flask_stackauth")

Claim = Literal["new", "done", "busy"]
#: Seconds a handled id is remembered: Svix's whole retry schedule (5 s ... 10 h, about 28 hours) and a margin.
DONE_TTL = 3 * 24 * 3600
#: Seconds a claim holds while handlers run; a worker that dies mid-run frees the id after this.
BUSY_TTL = 300
#: Ids remembered per process.
MAX_IDS = 50_000
KEY_PREFIX = "flask-stackauth:webhook:"


class MemorySeenIds:
    """Message ids of this process, oldest dropped first past ``max_ids``."""

    def __init__(self, max_ids: int = MAX_IDS) -> None:
        self._ids: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_ids

    def claim(self, message_id: str) -> Claim:
        """Take ``message_id`` for this delivery, or say it is done or being handled."""
        now = time.monotonic()
        with self._lock:
            entry = self._ids.get(message_id)
            if entry is not None and entry[1] > now:
                return "done" if entry[0] == "done" else "busy"
            self._put(message_id, "busy", now + BUSY_TTL)
            return "new"

    def done(self, message_id: str) -> None:
        """The handlers of ``message_id`` succeeded."""
        with self._lock:
            self._put(message_id, "done", time.monotonic() + DONE_TTL)

    def release(self, message_id: str) -> None:
        """The handlers failed: let a retry run them again."""
        with self._lock:
            self._ids.pop(message_id, None)

    def _put(self, message_id: str, status: str, expires: float) -> None:
        self._ids[message_id] = (status, expires)
        self._ids.move_to_end(message_id)
        while len(self._ids) > self._max:
            self._ids.popitem(last=False)


class RedisSeenIds:
    """Message ids in Redis (``SET NX`` with a TTL), shared by every worker; this process's memory when
    Redis fails (a duplicate may then run twice, which handlers must tolerate anyway)."""

    def __init__(self, client: Any, *, namespace: str = "") -> None:
        self.client = client
        self._prefix = KEY_PREFIX + (namespace + ":" if namespace else "")
        self._fallback = MemorySeenIds()

    def _key(self, message_id: str) -> str:
        return self._prefix + message_id

    def claim(self, message_id: str) -> Claim:
        """As :meth:`MemorySeenIds.claim`, across workers."""
        try:
            if self.client.set(self._key(message_id), b"busy", nx=True, ex=BUSY_TTL):
                return "new"
            value = self.client.get(self._key(message_id))
        except Exception as exc:  # redis-py raises many types; any failure means "decide locally"
            log.warning("flask-stackauth: Redis unavailable for webhook ids (%s); using this process's memory",
                        type(exc).__name__)
            return self._fallback.claim(message_id)
        if value is None:  # expired between the two calls
            return self.claim(message_id)
        return "done" if value in (b"done", "done") else "busy"

    def done(self, message_id: str) -> None:
        """As :meth:`MemorySeenIds.done`."""
        self._fallback.done(message_id)
        try:
            self.client.set(self._key(message_id), b"done", ex=DONE_TTL)
        except Exception as exc:
            log.warning("flask-stackauth: could not record webhook %s in Redis (%s)", message_id,
                        type(exc).__name__)

    def release(self, message_id: str) -> None:
        """As :meth:`MemorySeenIds.release`."""
        self._fallback.release(message_id)
        try:
            self.client.delete(self._key(message_id))
        except Exception as exc:
            log.warning("flask-stackauth: could not release webhook %s in Redis (%s)", message_id,
                        type(exc).__name__)


SeenIds = MemorySeenIds | RedisSeenIds


def seen_ids_from_config(config: Mapping[str, Any], namespace: str) -> SeenIds:
    """Redis ids with ``STACK_REDIS_URL`` (else ``STACK_REFRESH_LOCK_REDIS_URL``), else per process.

    :raises StackAuthConfigError: a malformed URL, or redis-py is not installed.
    """
    for setting in (SHARED_URL_SETTING, URL_SETTING):
        url = config.get(setting) or os.environ.get(setting)
        if url:
            return RedisSeenIds(_redis_from_url(str(url), setting), namespace=namespace)
    return MemorySeenIds()
