"""Typed webhook events: what Stack Auth sends through Svix, parsed from ``{"type": ..., "data": ...}``.

Every event has ``id`` (the Svix message id: the same on every retry), ``type`` (``"user.created"``, ...),
``data`` (typed for the types below, the raw JSON object otherwise) and ``raw`` (the ``data`` object exactly
as received, so fields a newer server adds are not lost). A type this module does not know is still delivered,
as a plain :class:`WebhookEvent` whose ``data`` is the JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .models import ServerUser, Team

D = TypeVar("D")


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class DeletedUser:
    """``user.deleted``: the user's id and the ids of the teams they were a member of."""

    id: str
    team_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeletedUser:
        """Build it from the event's ``data``."""
        teams = data.get("teams")
        ids = [_text(t, "id") for t in teams if isinstance(t, dict)] if isinstance(teams, list) else []
        return cls(id=_text(data, "id"), team_ids=[i for i in ids if i])


@dataclass(frozen=True)
class DeletedTeam:
    """``team.deleted``: the team's id."""

    id: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeletedTeam:
        """Build it from the event's ``data``."""
        return cls(id=_text(data, "id"))


@dataclass(frozen=True)
class TeamMembership:
    """``team_membership.created`` / ``.deleted``."""

    team_id: str
    user_id: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TeamMembership:
        """Build it from the event's ``data``."""
        return cls(team_id=_text(data, "team_id"), user_id=_text(data, "user_id"))


@dataclass(frozen=True)
class PermissionGrant:
    """``team_permission.*`` (with ``team_id``) and ``project_permission.*`` (``team_id`` is ``None``)."""

    id: str
    user_id: str
    team_id: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PermissionGrant:
        """Build it from the event's ``data``."""
        team = data.get("team_id")
        return cls(id=_text(data, "id"), user_id=_text(data, "user_id"),
                   team_id=team if isinstance(team, str) else None)


@dataclass(frozen=True)
class WebhookEvent(Generic[D]):
    """One webhook event. Subclasses type ``data``; unknown types arrive as this class itself."""

    id: str
    type: str
    data: D
    #: The event's ``data`` object exactly as Stack Auth sent it.
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: The delivery attempt's ``svix-timestamp`` (unix seconds); a retry has a later one.
    timestamp: int = 0

    @property
    def user_id(self) -> str | None:
        """The user the event is about, when it is about one."""
        return None


class _UserEvent(WebhookEvent[ServerUser]):
    @property
    def user_id(self) -> str | None:
        return self.data.id or None


class UserCreated(_UserEvent):
    """``user.created``: ``data`` is the :class:`~flask_stackauth.models.ServerUser`."""


class UserUpdated(_UserEvent):
    """``user.updated``: ``data`` is the user after the change."""


class UserDeleted(WebhookEvent[DeletedUser]):
    """``user.deleted``: ``data`` is a :class:`DeletedUser` (id and former team ids)."""

    @property
    def user_id(self) -> str | None:
        return self.data.id or None


class TeamCreated(WebhookEvent[Team]):
    """``team.created``: ``data`` is the :class:`~flask_stackauth.models.Team` (also the personal team of a
    sign-up, often sent before that user's ``user.created``)."""


class TeamUpdated(WebhookEvent[Team]):
    """``team.updated``: ``data`` is the team after the change."""


class TeamDeleted(WebhookEvent[DeletedTeam]):
    """``team.deleted``: ``data`` is a :class:`DeletedTeam`."""


class _MembershipEvent(WebhookEvent[TeamMembership]):
    @property
    def user_id(self) -> str | None:
        return self.data.user_id or None


class TeamMembershipCreated(_MembershipEvent):
    """``team_membership.created``."""


class TeamMembershipDeleted(_MembershipEvent):
    """``team_membership.deleted`` (also one per team when a user is deleted)."""


class _PermissionEvent(WebhookEvent[PermissionGrant]):
    @property
    def user_id(self) -> str | None:
        return self.data.user_id or None


class TeamPermissionCreated(_PermissionEvent):
    """``team_permission.created`` (v2.8+; a repeated grant is sent again)."""


class TeamPermissionDeleted(_PermissionEvent):
    """``team_permission.deleted`` (v2.8+)."""


class ProjectPermissionCreated(_PermissionEvent):
    """``project_permission.created`` (v2.8+)."""


class ProjectPermissionDeleted(_PermissionEvent):
    """``project_permission.deleted`` (v2.8+)."""


_TYPES: dict[str, tuple[type[WebhookEvent[Any]], Any]] = {
    "user.created": (UserCreated, ServerUser.from_json),
    "user.updated": (UserUpdated, ServerUser.from_json),
    "user.deleted": (UserDeleted, DeletedUser.from_json),
    "team.created": (TeamCreated, Team.from_json),
    "team.updated": (TeamUpdated, Team.from_json),
    "team.deleted": (TeamDeleted, DeletedTeam.from_json),
    "team_membership.created": (TeamMembershipCreated, TeamMembership.from_json),
    "team_membership.deleted": (TeamMembershipDeleted, TeamMembership.from_json),
    "team_permission.created": (TeamPermissionCreated, PermissionGrant.from_json),
    "team_permission.deleted": (TeamPermissionDeleted, PermissionGrant.from_json),
    "project_permission.created": (ProjectPermissionCreated, PermissionGrant.from_json),
    "project_permission.deleted": (ProjectPermissionDeleted, PermissionGrant.from_json),
}
#: The event types flask-stackauth parses into typed events.
EVENT_TYPES = tuple(_TYPES)


def parse_event(message_id: str, payload: Any, *, timestamp: int = 0) -> WebhookEvent[Any]:
    """The typed event for a verified webhook body (``{"type": ..., "data": {...}}``).

    :raises ValueError: the body is not an object with a string ``type``.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str) or not payload["type"]:
        raise ValueError('the body is not a Stack Auth event ({"type": ..., "data": ...})')
    event_type: str = payload["type"]
    data = payload.get("data")
    known = _TYPES.get(event_type)
    if known is None or not isinstance(data, dict):
        return WebhookEvent(id=message_id, type=event_type, data=data,
                            raw=data if isinstance(data, dict) else {}, timestamp=timestamp)
    cls, build = known
    return cls(id=message_id, type=event_type, data=build(data), raw=data, timestamp=timestamp)
