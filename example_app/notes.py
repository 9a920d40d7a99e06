"""The product: notes kept per workspace (the user's selected team, or the user alone), in memory."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import asdict, dataclass

MAX_TITLE_LENGTH = 200


@dataclass
class Note:
    """One note of a workspace."""

    id: str
    title: str
    author: str
    created_at: float
    done: bool = False

    def to_json(self) -> dict[str, object]:
        """The API's view of the note (``created_at`` as an ISO 8601 date-time)."""
        out = asdict(self)
        out["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created_at))
        return out


class NoteStore:
    """Notes by workspace id; thread-safe, gone at restart (a real app would use its database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: dict[str, list[Note]] = {}

    def list(self, workspace: str) -> list[Note]:
        """The workspace's notes, newest first."""
        with self._lock:
            return list(reversed(self._notes.get(workspace, [])))

    def add(self, workspace: str, title: str, author: str) -> Note:
        """Add a note; ``title`` must already be validated."""
        note = Note(id=secrets.token_hex(8), title=title, author=author, created_at=time.time())
        with self._lock:
            self._notes.setdefault(workspace, []).append(note)
        return note

    def set_done(self, workspace: str, note_id: str, done: bool) -> Note | None:
        """Mark a note done or not; ``None`` when the workspace has no such note."""
        with self._lock:
            for note in self._notes.get(workspace, []):
                if note.id == note_id:
                    note.done = done
                    return note
        return None
