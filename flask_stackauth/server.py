"""The server API: users, sessions, teams and permissions through the project's secret server key.

Reach it as ``stack.server`` inside an app or request context::

    user = stack.server.users.create(primary_email="a@example.com", password="correct horse")
    team = stack.server.teams.create(display_name="Ops", creator_user_id=user.id)
    stack.server.permissions.has(user.id, "$read_members", team_id=team.id)   # True

Ids are checked before any call: a string that cannot be a Stack id (Stack uses UUIDs) is treated like
an unknown id, so it raises the same typed error without reaching Stack Auth, and cannot change the path.
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .client import AccessType, StackAuthClient
from .errors import (
    ApiKeyNotFound,
    ApiKeysNotEnabled,
    NotSupportedByServer,
    PermissionNotFound,
    SessionNotFound,
    StackAuthConfigError,
    StackAuthHTTPError,
    TeamInvitationNotFound,
    TeamNotFound,
    UserNotFound,
    typed_plain_error,
)
from .models import UNSET, ApiKey, ContactChannel, ServerUser, Session, Team, TeamInvitation, TokenPair, Unset

#: Stack's permission id syntax (``permissionDefinitionIdSchema``).
PERMISSION_ID = re.compile(r"^\$?[a-z0-9_:]+$")




def is_stack_id(value: object) -> bool:
    """Whether ``value`` is a well-formed Stack id (a UUID in its canonical text form)."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def _user_id(value: object) -> str:
    if not is_stack_id(value):
        raise UserNotFound("USER_NOT_FOUND", "User not found.", {"user_id": str(value)[:100]}, 404)
    return str(value)


def _team_id(value: object) -> str:
    if not is_stack_id(value):
        raise TeamNotFound("TEAM_NOT_FOUND", f"Team {str(value)[:100]} not found.", {"team_id": str(value)[:100]},
                           404)
    return str(value)


def _permission_id(value: object) -> str:
    if not isinstance(value, str) or len(value) > 200 or not PERMISSION_ID.match(value):
        raise PermissionNotFound("PERMISSION_NOT_FOUND", f"Permission {str(value)[:100]!r} not found.",
                                 {"permission_id": str(value)[:100]}, 404)
    return value


def _fields(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not :data:`UNSET`), as a JSON body."""
    return {k: v for k, v in values.items() if v is not UNSET}


class _Resource:
    def __init__(self, api: ServerAPI) -> None:
        self._api = api

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
              feature: str = "") -> Any:
        return self._api.call(method, path, params=params, json=json, feature=feature)


class Users(_Resource):
    """``stack.server.users``: read, list, create, update and delete users."""

    def get(self, user_id: str) -> ServerUser:
        """The user with this id.

        :raises UserNotFound: no such user.
        """
        return ServerUser.from_json(self._call("GET", f"/api/v1/users/{_user_id(user_id)}"))

    def list(self, *, query: str | None = None, page_size: int | None = None, team_id: str | None = None,
             desc: bool | None = None, include_anonymous: bool | None = None) -> Iterator[ServerUser]:
        """Iterate over users, following Stack's ``next_cursor`` page by page.

        :param query: free-text filter (email, name, id).
        :param page_size: users fetched per call (Stack's ``limit``); all in one call when ``None``.
        :param team_id: only members of this team.
        """
        if page_size is not None and (isinstance(page_size, bool) or not isinstance(page_size, int)
                                      or page_size < 1):
            raise ValueError("page_size must be a positive integer")
        params: dict[str, Any] = {}
        if query is not None:
            params["query"] = query
        if page_size is not None:
            params["limit"] = page_size
        if team_id is not None:
            if not is_stack_id(team_id):
                return iter(())
            params["team_id"] = team_id
        if desc is not None:
            params["desc"] = "true" if desc else "false"
        if include_anonymous is not None:
            params["include_anonymous"] = "true" if include_anonymous else "false"
        return self._pages(params)

    def _pages(self, params: dict[str, Any]) -> Iterator[ServerUser]:
        seen: set[str] = set()
        while True:
            answer = self._call("GET", "/api/v1/users", params=params)
            answer = answer if isinstance(answer, dict) else {}
            for item in answer.get("items") or []:
                yield ServerUser.from_json(item)
            pagination = answer.get("pagination") or {}
            cursor = pagination.get("next_cursor") if isinstance(pagination, dict) else None
            # A cursor seen before would loop forever: stop instead.
            if not isinstance(cursor, str) or not cursor or cursor in seen:
                return
            seen.add(cursor)
            params = {**params, "cursor": cursor}

    def create(self, *, primary_email: str | None = None, password: str | None = None,
               display_name: str | None = None, primary_email_verified: bool | None = None,
               primary_email_auth_enabled: bool | None = None, client_metadata: Any = UNSET,
               client_read_only_metadata: Any = UNSET, server_metadata: Any = UNSET,
               profile_image_url: str | None = None, **extra: Any) -> ServerUser:
        """Create a user (Stack answers 201).

        With ``password``, ``primary_email_auth_enabled`` defaults to true, so the password signs in.
        Any other field of Stack's server create schema can be passed as a keyword argument.

        :raises UserEmailAlreadyExists: an email-auth user with this email exists.
        :raises KnownError: ``PASSWORD_TOO_SHORT``, ``SCHEMA_ERROR`` ...
        """
        if password is not None and primary_email_auth_enabled is None:
            primary_email_auth_enabled = True
        body = {k: v for k, v in {
            "primary_email": primary_email, "password": password, "display_name": display_name,
            "primary_email_verified": primary_email_verified,
            "primary_email_auth_enabled": primary_email_auth_enabled, "profile_image_url": profile_image_url,
        }.items() if v is not None}
        body.update(_fields(client_metadata=client_metadata, client_read_only_metadata=client_read_only_metadata,
                            server_metadata=server_metadata))
        body.update(extra)
        return ServerUser.from_json(self._call("POST", "/api/v1/users", json=body))

    def update(self, user_id: str, *, display_name: str | Unset | None = UNSET,
               primary_email: str | Unset | None = UNSET, primary_email_verified: bool | Unset = UNSET,
               primary_email_auth_enabled: bool | Unset = UNSET, password: str | Unset | None = UNSET,
               profile_image_url: str | Unset | None = UNSET, selected_team_id: str | Unset | None = UNSET,
               client_metadata: Any = UNSET, client_read_only_metadata: Any = UNSET,
               server_metadata: Any = UNSET, **extra: Any) -> ServerUser:
        """Update the given fields of a user (``None`` clears a field; omitted fields stay).

        :raises UserNotFound: no such user.
        """
        body = _fields(display_name=display_name, primary_email=primary_email,
                       primary_email_verified=primary_email_verified,
                       primary_email_auth_enabled=primary_email_auth_enabled, password=password,
                       profile_image_url=profile_image_url, selected_team_id=selected_team_id,
                       client_metadata=client_metadata, client_read_only_metadata=client_read_only_metadata,
                       server_metadata=server_metadata)
        body.update(extra)
        return ServerUser.from_json(self._call("PATCH", f"/api/v1/users/{_user_id(user_id)}", json=body))

    def contact_channels(self, user_id: str) -> builtins.list[ContactChannel]:
        """The user's contact channels (email addresses), oldest first; ``[]`` for an unknown user."""
        if not is_stack_id(user_id):
            return []
        answer = self._call("GET", "/api/v1/contact-channels", params={"user_id": user_id})
        items = answer.get("items") if isinstance(answer, dict) else None
        return [ContactChannel.from_json(item) for item in items or []]

    def delete(self, user_id: str) -> None:
        """Delete a user; its sessions end with it.

        :raises UserNotFound: no such user.
        """
        self._call("DELETE", f"/api/v1/users/{_user_id(user_id)}")


class Sessions(_Resource):
    """``stack.server.sessions``: sign a user in from the server, list and revoke sessions."""

    def create(self, user_id: str, *, expires_in_millis: int | None = None,
               is_impersonation: bool = False) -> TokenPair:
        """A new session for the user, as a token pair (for tests, impersonation, service sign-in).

        :raises UserNotFound: no such user (Stack's ``USER_ID_DOES_NOT_EXIST``).
        """
        body: dict[str, Any] = {"user_id": _user_id(user_id)}
        if expires_in_millis is not None:
            body["expires_in_millis"] = expires_in_millis
        if is_impersonation:
            body["is_impersonation"] = True
        answer = self._call("POST", "/api/v1/auth/sessions", json=body)
        answer = answer if isinstance(answer, dict) else {}
        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise StackAuthHTTPError("Stack Auth created a session but sent no token pair.", status=200)
        return TokenPair(access, refresh)

    def list(self, user_id: str) -> list[Session]:
        """The user's sessions, newest first, as Stack Auth lists them: expired ones included (the listing
        does not filter on expiry) and impersonation sessions left out (unless the key is an admin key).

        :raises NotSupportedByServer: older servers (v2.7) cannot list sessions.
        :raises UserNotFound: no such user.
        """
        answer = self._call("GET", "/api/v1/auth/sessions", params={"user_id": _user_id(user_id)},
                            feature="listing sessions")
        items = answer.get("items") if isinstance(answer, dict) else None
        return [Session.from_json(item) for item in items or []]

    def revoke(self, session_id: str, *, user_id: str) -> None:
        """Revoke one of ``user_id``'s sessions.

        Stack Auth does not check that the session belongs to the user named in the call, so this does
        first: another user's session id is refused like an unknown one.

        :raises SessionNotFound: the user has no live session with this id.
        :raises NotSupportedByServer: older servers (v2.7) cannot revoke single sessions.
        """
        uid = _user_id(user_id)
        if not is_stack_id(session_id) or session_id not in {s.id for s in self.list(uid)}:
            raise SessionNotFound(f"User {uid} has no session {str(session_id)[:100]}.")
        try:
            self._call("DELETE", f"/api/v1/auth/sessions/{session_id}", params={"user_id": uid},
                       feature="revoking sessions")
        except StackAuthHTTPError as exc:
            if exc.status == 404:  # revoked in the meantime: Stack's plain "Session not found."
                raise SessionNotFound(f"User {uid} has no session {session_id}.") from None
            raise


class Teams(_Resource):
    """``stack.server.teams``: teams and their memberships."""

    def get(self, team_id: str) -> Team:
        """The team with this id.

        :raises TeamNotFound: no such team.
        """
        return Team.from_json(self._call("GET", f"/api/v1/teams/{_team_id(team_id)}"))

    def list(self, *, user_id: str | None = None) -> list[Team]:
        """Every team of the project, or the teams ``user_id`` is a member of (oldest first)."""
        params: dict[str, Any] = {}
        if user_id is not None:
            if not is_stack_id(user_id):
                return []
            params["user_id"] = user_id
        answer = self._call("GET", "/api/v1/teams", params=params)
        items = answer.get("items") if isinstance(answer, dict) else None
        return [Team.from_json(item) for item in items or []]

    def create(self, *, display_name: str, creator_user_id: str | None = None,
               profile_image_url: str | None = None, client_metadata: Any = UNSET,
               client_read_only_metadata: Any = UNSET, server_metadata: Any = UNSET) -> Team:
        """Create a team; ``creator_user_id`` joins it with the project's creator permissions.

        :raises UserNotFound: the creator does not exist (no team is created then).
        """
        body: dict[str, Any] = {"display_name": display_name}
        if creator_user_id is not None:
            body["creator_user_id"] = _user_id(creator_user_id)
        if profile_image_url is not None:
            body["profile_image_url"] = profile_image_url
        body.update(_fields(client_metadata=client_metadata, client_read_only_metadata=client_read_only_metadata,
                            server_metadata=server_metadata))
        return Team.from_json(self._call("POST", "/api/v1/teams", json=body))

    def update(self, team_id: str, *, display_name: str | Unset = UNSET,
               profile_image_url: str | Unset | None = UNSET, client_metadata: Any = UNSET,
               client_read_only_metadata: Any = UNSET, server_metadata: Any = UNSET) -> Team:
        """Update the given fields of a team.

        :raises TeamNotFound: no such team.
        """
        body = _fields(display_name=display_name, profile_image_url=profile_image_url,
                       client_metadata=client_metadata, client_read_only_metadata=client_read_only_metadata,
                       server_metadata=server_metadata)
        return Team.from_json(self._call("PATCH", f"/api/v1/teams/{_team_id(team_id)}", json=body))

    def delete(self, team_id: str) -> None:
        """Delete a team with its memberships and team permissions.

        :raises TeamNotFound: no such team.
        """
        self._call("DELETE", f"/api/v1/teams/{_team_id(team_id)}")

    def add_member(self, team_id: str, user_id: str) -> None:
        """Add a user to a team, with the project's default member permissions.

        :raises UserNotFound: / :raises TeamNotFound: unknown user or team.
        :raises TeamMembershipAlreadyExists: the user is already a member.
        """
        self._call("POST", f"/api/v1/team-memberships/{_team_id(team_id)}/{_user_id(user_id)}")
        self._api.forget_permissions(user_id)

    def remove_member(self, team_id: str, user_id: str) -> None:
        """Remove a user from a team (its team permissions go with the membership).

        :raises TeamMembershipNotFound: the user is not a member.
        """
        self._call("DELETE", f"/api/v1/team-memberships/{_team_id(team_id)}/{_user_id(user_id)}")
        self._api.forget_permissions(user_id)


    def invite(self, team_id: str, email: str, callback_url: str | None = None) -> str:
        """Invite ``email`` to a team; Stack mails a link to ``callback_url`` plus ``?code=``. Returns the id.

        Any signed-in user holding the code can accept it (it is not tied to ``email``).

        :param callback_url: the page that accepts invitations; by default ``/team-invitation`` under
            ``STACK_URL_PREFIX`` on ``STACK_APP_URL`` or the base of ``STACK_REDIRECT_URI`` (never the request's host).
        :raises TeamNotFound: no such team.
        :raises RedirectUrlNotWhitelisted: ``callback_url`` is not one of the project's trusted domains.
        :raises StackAuthConfigError: no ``callback_url`` and neither ``STACK_APP_URL`` nor ``STACK_REDIRECT_URI``
            to build one from.
        """
        url = callback_url or self._api.page_url("/team-invitation")
        answer = self._call("POST", "/api/v1/team-invitations/send-code",
                            json={"email": email, "team_id": _team_id(team_id), "callback_url": url})
        return str(answer.get("id") or "") if isinstance(answer, dict) else ""

    def invitations(self, team_id: str) -> builtins.list[TeamInvitation]:
        """The team's pending invitations.

        :raises TeamNotFound: no such team.
        """
        answer = self._call("GET", "/api/v1/team-invitations", params={"team_id": _team_id(team_id)})
        items = answer.get("items") if isinstance(answer, dict) else None
        return [TeamInvitation.from_json(item) for item in items or []]

    def revoke_invitation(self, team_id: str, invitation_id: str) -> None:
        """Revoke a pending invitation; its code stops working.

        :raises TeamInvitationNotFound: no such pending invitation in this team.
        """
        tid = _team_id(team_id)
        if not is_stack_id(invitation_id) or invitation_id not in {i.id for i in self.invitations(tid)}:
            # Checked first: real servers answer 500 for an invitation already used or revoked.
            raise TeamInvitationNotFound(f"Team {tid} has no pending invitation {str(invitation_id)[:100]}.")
        try:
            self._call("DELETE", f"/api/v1/team-invitations/{invitation_id}", params={"team_id": tid})
        except StackAuthHTTPError as exc:
            raise (typed_plain_error(exc) or exc) from None


class Permissions(_Resource):
    """``stack.server.permissions``: team permissions (with ``team_id``) and project permissions (without)."""

    def _path(self, user_id: str, permission_id: str, team_id: str | None) -> str:
        uid, pid = _user_id(user_id), quote(_permission_id(permission_id), safe="")
        if team_id is None:
            return f"/api/v1/project-permissions/{uid}/{pid}"
        return f"/api/v1/team-permissions/{_team_id(team_id)}/{uid}/{pid}"

    @staticmethod
    def _feature(team_id: str | None) -> str:
        return "team permissions" if team_id is not None else "project permissions"

    def grant(self, user_id: str, permission_id: str, *, team_id: str | None = None) -> None:
        """Grant a permission (granting one already held is fine).

        :raises PermissionNotFound: the permission is not defined (``WrongPermissionScope``: wrong kind).
        :raises TeamMembershipNotFound: a team permission for a user outside the team.
        :raises NotSupportedByServer: project permissions on older servers (v2.7).
        """
        self._call("POST", self._path(user_id, permission_id, team_id), feature=self._feature(team_id))
        self._api.forget_permissions(user_id)

    def revoke(self, user_id: str, permission_id: str, *, team_id: str | None = None) -> None:
        """Revoke a permission the user holds directly.

        :raises TeamPermissionNotFound: / :raises PermissionNotFound: the user does not hold it.
        """
        self._call("DELETE", self._path(user_id, permission_id, team_id), feature=self._feature(team_id))
        self._api.forget_permissions(user_id)

    def list(self, user_id: str, *, team_id: str | None = None, recursive: bool = True) -> list[str]:
        """The ids of the permissions the user holds (in ``team_id``, or project-wide), sorted.

        ``recursive`` (the default) includes permissions contained in the ones held directly.
        An id that cannot exist gives an empty list, as an unknown one does.
        """
        if not is_stack_id(user_id) or (team_id is not None and not is_stack_id(team_id)):
            return []
        params: dict[str, Any] = {"user_id": user_id, "recursive": "true" if recursive else "false"}
        if team_id is None:
            path = "/api/v1/project-permissions"
        else:
            path, params["team_id"] = "/api/v1/team-permissions", team_id
        answer = self._call("GET", path, params=params, feature=self._feature(team_id))
        items = answer.get("items") if isinstance(answer, dict) else None
        return sorted({item["id"] for item in items or []
                       if isinstance(item, dict) and isinstance(item.get("id"), str)})

    def has(self, user_id: str, permission_id: str, *, team_id: str | None = None) -> bool:
        """Whether the user holds the permission, directly or through one that contains it."""
        return permission_id in self.list(user_id, team_id=team_id)


class ServerAPI:
    """Stack Auth's server API for one app (``stack.server``): :attr:`users`, :attr:`sessions`,
    :attr:`teams` and :attr:`permissions`, all sent with the secret server key."""

    def __init__(self, client: StackAuthClient, *, on_permissions_changed: Any = None) -> None:
        self._client = client
        self._on_permissions_changed = on_permissions_changed
        self.users = Users(self)
        self.sessions = Sessions(self)
        self.teams = Teams(self)
        self.permissions = Permissions(self)
        self.api_keys = ApiKeysAPI(self)

    def __repr__(self) -> str:
        return f"<ServerAPI project={self._client.settings.project_id!r}>"

    def page_url(self, path: str) -> str:
        """The absolute URL of one of this extension's pages, built from configuration only.

        :raises StackAuthConfigError: neither ``STACK_APP_URL`` nor ``STACK_REDIRECT_URI`` is set, so the app's
            public URL is unknown.
        """
        settings = self._client.settings
        base = settings.public_base_url()
        if base is None:
            raise StackAuthConfigError("Pass callback_url, or set STACK_APP_URL (or STACK_REDIRECT_URI) so that links "
                                       "in Stack's mails can point at this app.")
        return f"{base}{settings.url_prefix}{path}"

    def forget_permissions(self, user_id: str) -> None:
        """Drop this process's cached permission answers for ``user_id`` (after a change made here)."""
        if self._on_permissions_changed is not None:
            self._on_permissions_changed(user_id)

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
             feature: str = "") -> Any:
        """One server-key call; a route the server lacks becomes :class:`NotSupportedByServer`."""
        return call_stack(self._client, method, path, access_type="server", params=params, json=json,
                          feature=feature)


def call_stack(client: StackAuthClient, method: str, path: str, *, access_type: AccessType = "server",
               access_token: str | None = None, params: dict[str, Any] | None = None, json: Any = None,
               feature: str = "") -> Any:
    """Call Stack Auth; a route the server does not have becomes :class:`NotSupportedByServer`.

    :param feature: what the route is for, named in the error (e.g. ``"project permissions"``).
    """
    try:
        return client.request(method, path, access_type=access_type, access_token=access_token,
                              params=params, json=json)
    except StackAuthHTTPError as exc:
        # Stack Auth answers its real errors as known errors; a plain-text 404/405 means "no such route",
        # which is how older servers answer for features they do not have yet. The one exception is
        # v2.8's plain "Session not found." for an unknown session id.
        if exc.status == 405 or (exc.status == 404 and not exc.body.startswith("Session not found")):
            what = feature or f"{method} {path}"
            raise NotSupportedByServer(
                f"This Stack Auth server does not support {what} (it answered HTTP {exc.status} to "
                f"{method} {path}); it needs a newer Stack Auth server (or STACK_API_URL does not point at "
                "Stack Auth).") from None
        raise


# --- API keys (appended) ------------------------------------------------------------------------------------

#: The shape of a Stack API key (``parseApiKeyParts`` in Stack's ``api-keys.tsx``): the kind is in the key.
API_KEY_SHAPE = re.compile(r"^[A-Za-z0-9_]+_[A-Za-z0-9_]{45}[A-Za-z0-9_]{32}(user|team)[A-Za-z0-9_]574ck4u7h"
                           r"[A-Za-z0-9_]{8}$")
_API_KEY_MAX = 200


def api_key_kind(key: object) -> str | None:
    """``"user"`` or ``"team"`` for a string shaped like a Stack API key, else ``None`` (nothing is called)."""
    if not isinstance(key, str) or len(key) > _API_KEY_MAX:
        return None
    match = API_KEY_SHAPE.match(key)
    return match.group(1) if match else None


def _millis(value: datetime | int | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware (e.g. datetime.now(timezone.utc) + ...)")
        return int(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("expires_at must be a datetime, milliseconds since the epoch, or None")
    return int(value)


class ApiKeysAPI(_Resource):
    """``stack.server.api_keys``: create, list, revoke and check user and team API keys.

    The project must allow the kind of key (Stack dashboard, project settings); otherwise every call raises
    :class:`~flask_stackauth.errors.ApiKeysNotEnabled`. Servers older than v2.8 have no API keys:
    :class:`~flask_stackauth.errors.NotSupportedByServer`.
    """

    def _keys_call(self, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self._call(method, path, feature=f"{kind} API keys", **kwargs)
        except StackAuthHTTPError as exc:
            # Stack's StatusError for a project with the feature off: a plain-text 400, no error code.
            if exc.status == 400 and "API keys are not enabled" in exc.body:
                raise ApiKeysNotEnabled(kind) from None
            raise

    @staticmethod
    def _owner(user_id: str | None, team_id: str | None) -> tuple[str, str, str]:
        """``(kind, field, id)`` for exactly one of ``user_id`` / ``team_id``."""
        if (user_id is None) == (team_id is None):
            raise ValueError("give exactly one of user_id or team_id")
        if user_id is not None:
            return "user", "user_id", _user_id(user_id)
        return "team", "team_id", _team_id(team_id)

    def create(self, *, user_id: str | None = None, team_id: str | None = None, description: str,
               expires_at: datetime | int | None = None, is_public: bool = False) -> ApiKey:
        """Create a key for a user or a team; the answer's ``value`` is the secret, shown this once.

        :param expires_at: a timezone-aware datetime, or milliseconds since the epoch; ``None``: never.
        :raises UserNotFound: / :raises TeamNotFound: unknown owner.
        """
        kind, owner_field, owner = self._owner(user_id, team_id)
        body: dict[str, Any] = {"description": description, "expires_at_millis": _millis(expires_at),
                                owner_field: owner}
        if is_public:
            body["is_public"] = True
        return ApiKey.from_json(self._keys_call(kind, "POST", f"/api/v1/{kind}-api-keys", json=body))

    def list(self, *, user_id: str | None = None, team_id: str | None = None) -> list[ApiKey]:
        """The keys of a user or a team (revoked and expired ones included), newest first."""
        kind, owner_field, owner = self._owner(user_id, team_id)
        answer = self._keys_call(kind, "GET", f"/api/v1/{kind}-api-keys", params={owner_field: owner})
        items = answer.get("items") if isinstance(answer, dict) else None
        return [ApiKey.from_json(item) for item in items or []]

    def revoke(self, key: ApiKey | str, *, team_id: str | None = None) -> ApiKey:
        """Revoke a key (revoking twice keeps the first revocation time); answer the revoked key.

        Pass the :class:`ApiKey`, or its id: a bare id is a user key unless ``team_id`` names its team.

        :raises ApiKeyNotFound: no such key.
        """
        if isinstance(key, ApiKey):
            key_id, kind, team_id = key.id, key.type, key.team_id if key.type == "team" else None
        else:
            key_id, kind = key, "team" if team_id is not None else "user"
        if not is_stack_id(key_id):
            raise ApiKeyNotFound("API_KEY_NOT_FOUND", "API key not found.", None, 404)
        params = {"team_id": _team_id(team_id)} if kind == "team" and team_id is not None else None
        return ApiKey.from_json(self._keys_call(kind, "PATCH", f"/api/v1/{kind}-api-keys/{key_id}",
                                                params=params, json={"revoked": True}))

    def check(self, key: str, *, team: bool | None = None) -> ApiKey:
        """The key's record if Stack accepts it (the kind is read from the key unless ``team`` says).

        A string that cannot be a Stack API key is refused here, without a call.

        :raises ApiKeyNotFound: unknown or malformed key. :raises ApiKeyRevoked: / :raises ApiKeyExpired:
        :raises WrongApiKeyType: ``team`` says another kind than the key is.
        """
        kind = api_key_kind(key)
        if kind is None:
            raise ApiKeyNotFound("API_KEY_NOT_FOUND", "API key not found.", None, 404)
        if team is not None:
            kind = "team" if team else "user"
        return ApiKey.from_json(self._keys_call(kind, "POST", f"/api/v1/{kind}-api-keys/check",
                                                json={"api_key": key}))
