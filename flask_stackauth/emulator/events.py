"""Which webhook events the emulator's state changes cause, with the payloads and quirks Stack Auth has.

The hook sits in the state layer, not in the routes: ``emu.data.users`` and ``emu.data.teams`` are observed
dicts, so any code that stores or removes a user or team (sign-up paths, ``POST /users``, ``DELETE /users/me``,
client team creation, ...) emits ``user.created`` / ``user.deleted`` / ``team.created`` / ``team.deleted``
without knowing about webhooks. Changes that are attribute updates or set entries call the small helpers
below (:func:`user_updated`, :func:`team_updated`, :func:`membership_created`, ...) where the emulator makes
them (``users._apply_update``, ``teams.add_member`` and the team/permission handlers).

What the recordings (``webhooks-result.json``) show, and what is reproduced here:

- v2.8's ``user.created`` is built before the personal team and before an OAuth account is attached
  (``selected_team: null``, ``oauth_providers: []``); v2.7's carries the user as the request leaves it.
- deleting a user sends one ``team_membership.deleted`` per team, then ``user.deleted {id, teams}``; deleting
  a team sends only ``team.deleted``; a team's creator joins without any membership event.
- a new member gets ``team_membership.created`` and one ``team_permission.created`` per default permission;
  granting a permission twice sends the event twice.
- v2.7 sends no ``team_permission.*`` or ``project_permission.*`` events at all.

Inside a request the events are collected and handed to the :class:`~.webhooks.WebhookHub` when the request
ends (after the write, as Stack does); outside one (Python calls from a test) they go at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_request_context

from .serialize import team_json, user_json
from .state import Team, User

if TYPE_CHECKING:
    from .core import Emulator

_OUTBOX = "_stackauth_webhook_outbox"
_V28_ONLY_PREFIXES = ("team_permission.", "project_permission.")


def emit(emu: Emulator, event_type: str, data: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """Send ``event_type`` with ``data`` (a dict built now, or a callable built when the request ends)."""
    if emu.legacy_tokens and event_type.startswith(_V28_ONLY_PREFIXES):
        return
    if has_request_context() and current_app.extensions.get("stackauth_emulator") is emu:
        outbox: list[tuple[str, Any]] = g.setdefault(_OUTBOX, [])
        outbox.append((event_type, data))
        return
    emu.webhooks.send(event_type, data() if callable(data) else data)


def flush(emu: Emulator) -> None:
    """Hand the current request's events to the hub (called when the request ends)."""
    outbox: list[tuple[str, Any]] = g.pop(_OUTBOX, None) or []
    for event_type, data in outbox:
        emu.webhooks.send(event_type, data() if callable(data) else data)


# --- helpers for changes that are not a store or a removal --------------------------------------------------


def user_updated(emu: Emulator, user: User) -> None:
    """``user.updated`` with the server read of ``user`` as it is now."""
    emit(emu, "user.updated", user_json(emu, user, server=True))


def team_updated(emu: Emulator, team: Team) -> None:
    """``team.updated`` with the server read of ``team`` as it is now."""
    emit(emu, "team.updated", team_json(team, server=True))


def membership_created(emu: Emulator, team_id: str, user_id: str, permissions: list[str]) -> None:
    """``team_membership.created``, then ``team_permission.created`` for each default permission."""
    emit(emu, "team_membership.created", {"team_id": team_id, "user_id": user_id})
    for perm in permissions:
        team_permission(emu, "created", team_id, user_id, perm)


def membership_deleted(emu: Emulator, team_id: str, user_id: str) -> None:
    """``team_membership.deleted``."""
    emit(emu, "team_membership.deleted", {"team_id": team_id, "user_id": user_id})


def team_permission(emu: Emulator, action: str, team_id: str, user_id: str, permission_id: str) -> None:
    """``team_permission.created`` / ``.deleted`` (``action``), v2.8 only."""
    emit(emu, f"team_permission.{action}", {"id": permission_id, "user_id": user_id, "team_id": team_id})


def project_permission(emu: Emulator, action: str, user_id: str, permission_id: str) -> None:
    """``project_permission.created`` / ``.deleted`` (``action``), v2.8 only."""
    emit(emu, f"project_permission.{action}", {"id": permission_id, "user_id": user_id})


# --- the observed stores -----------------------------------------------------------------------------------


class _Observed(dict):  # type: ignore[type-arg]
    """A dict that tells :func:`emit` when a key is first stored and before one is removed."""

    def __init__(self, emu: Emulator, on_store: Callable[[Any], None], on_remove: Callable[[Any], None],
                 initial: dict[str, Any]) -> None:
        super().__init__(initial)
        self._on_store = on_store
        self._on_remove = on_remove

    def __setitem__(self, key: str, value: Any) -> None:
        new = key not in self
        super().__setitem__(key, value)
        if new:
            self._on_store(value)

    def __delitem__(self, key: str) -> None:
        self._on_remove(self[key])
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self._on_remove(self[key])
        return super().pop(key, *default)


def _user_stored(emu: Emulator, user: User) -> None:
    if emu.legacy_tokens:
        emit(emu, "user.created", lambda: user_json(emu, user, server=True))
    else:
        emit(emu, "user.created", user_json(emu, user, server=True))


def _user_removed(emu: Emulator, user: User) -> None:
    teams = [t.id for t in sorted(emu.data.teams.values(), key=lambda t: t.created_at) if user.id in t.member_ids]
    for team_id in teams:
        membership_deleted(emu, team_id, user.id)
    emit(emu, "user.deleted", {"id": user.id, "teams": [{"id": tid} for tid in teams]})


def observe(emu: Emulator) -> None:
    """Make ``emu.data.users`` and ``emu.data.teams`` emit their events (again after a reset)."""
    data = emu.data
    if not isinstance(data.users, _Observed):
        data.users = _Observed(emu, lambda u: _user_stored(emu, u), lambda u: _user_removed(emu, u), data.users)
    if not isinstance(data.teams, _Observed):
        data.teams = _Observed(emu, lambda t: emit(emu, "team.created", team_json(t, server=True)),
                               lambda t: emit(emu, "team.deleted", {"id": t.id}), data.teams)


def on_reset(emu: Emulator) -> None:
    """Reset hook: a fresh :class:`~.state.EmulatorData` is observed too, and the hub forgets its logs."""
    emu.webhooks.reset()
    observe(emu)
