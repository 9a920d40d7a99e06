"""Sessions this app ended through Stack Auth, so their still-valid access tokens stop working at once.

Stack's access tokens stay valid until they expire, even after their session (refresh token) is revoked. When
this app ends sessions (the account page's "end session", a password change or reset, an account deletion) it
notes them here, and authentication refuses tokens of those sessions from the next request on. The record is
per process: other worker processes see the end when the access token expires and its refresh is refused.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

#: How long an ended session is remembered: longer than any access token lives.
REMEMBER_SECONDS = 24 * 3600
#: Entries kept at most (oldest dropped first).
MAX_ENTRIES = 50_000


class EndedSessions:
    """Ended session ids, and per user "every session issued up to then, but one" cut-offs; bounded, thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._ids: OrderedDict[str, float] = OrderedDict()
        self._users: OrderedDict[str, tuple[float, int, str | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def _trim(self, entries: OrderedDict[str, Any]) -> None:
        while len(entries) > self._max:
            entries.popitem(last=False)

    def end_session(self, session_id: str) -> None:
        """Note that the session ``session_id`` (a token's ``refresh_token_id``) was revoked."""
        with self._lock:
            self._ids[session_id] = time.monotonic() + REMEMBER_SECONDS
            self._ids.move_to_end(session_id)
            self._trim(self._ids)

    def end_user_sessions(self, user_id: str, *, issued_up_to: int, keep_session_id: str | None = None) -> None:
        """Note that every session of ``user_id`` with tokens issued before ``issued_up_to`` (Stack's clock: the
        ``iat`` of a token issued after the revocation) ended, except ``keep_session_id``."""
        with self._lock:
            self._users[user_id] = (time.monotonic() + REMEMBER_SECONDS, issued_up_to, keep_session_id)
            self._users.move_to_end(user_id)
            self._trim(self._users)

    def is_ended(self, claims: dict[str, Any]) -> bool:
        """Whether the verified access token with ``claims`` belongs to a session noted as ended."""
        now = time.monotonic()
        session_id = claims.get("refresh_token_id")
        session_id = session_id if isinstance(session_id, str) else None
        with self._lock:
            if session_id is not None and self._ids.get(session_id, 0) > now:
                return True
            entry = self._users.get(str(claims.get("sub")))
        if entry is None or entry[0] <= now:
            return False
        _, cut, keep = entry
        iat = claims.get("iat")
        if not isinstance(iat, (int, float)):
            return False
        # Strictly older than the cut-off: a session signed in during the same second as the revocation (this
        # browser signing in again, say) must never be refused. A session Stack ended within that second is
        # signed out when its access token expires instead.
        return session_id != keep and iat < cut
