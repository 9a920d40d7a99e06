"""Teams, memberships, team and project permissions, and permission definitions.

Behaviour follows Stack Auth's ``teams``, ``team-memberships``, ``team-permissions``,
``project-permissions`` and ``*-permission-definitions`` handlers, as measured on v2.7.16 and v2.8.86:

- creations answer 201, deletes ``{"success": true}``;
- a team's creator gets ``$read_members``, ``$remove_members`` and ``$update_team``, a member gets
  ``$read_members`` (v2.8 seed); legacy (v2.7) mode grants nothing by default and has no project permissions
  (plain 404, as for any unknown route);
- a client may only read its own teams and permissions (``me`` or its own id), else 403 text/plain.

Memberships made elsewhere in the emulator (the personal team created at sign-up) get their default
permissions the first time this module looks at them: a team's first member counts as its creator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Response, request

from . import errors as E
from . import events
from .auth import resolve_user_id
from .context import (
    AuthContext,
    Fields,
    api_blueprint,
    body_dict,
    get_emulator,
    is_uuid,
    json_response,
    require_auth,
)
from .core import Emulator
from .schema import Field, Json, Obj, Str, Validated, validate
from .serialize import team_json
from .state import Team, new_id

bp = api_blueprint("stack_teams", __name__)

RBAC_KEY = "rbac"
TEAM_SYSTEM_PERMISSIONS = {
    "$update_team": "Update the team information",
    "$delete_team": "Delete the team",
    "$read_members": "Read and list the other members of the team",
    "$remove_members": "Remove other members from the team",
    "$invite_members": "Invite other users to the team",
    "$manage_api_keys": "Create and manage API keys for the team",
}
_PERMISSION_ID = re.compile(r"^\$?[a-z0-9_:]+$")
_CUSTOM_PERMISSION_ID = re.compile(r"^[a-z0-9_:]+$")


@dataclass
class PermissionDefinition:
    """A permission the project defines (``rbac.permissions`` in Stack's config)."""

    id: str
    scope: str
    description: str | None = None
    contained: list[str] = field(default_factory=list)


@dataclass
class Rbac:
    """This module's state, kept in ``emu.data.ext`` so that :meth:`Emulator.reset` clears it."""

    definitions: dict[str, PermissionDefinition] = field(default_factory=dict)
    team_grants: set[tuple[str, str, str]] = field(default_factory=set)
    project_grants: set[tuple[str, str]] = field(default_factory=set)
    seen_memberships: set[tuple[str, str]] = field(default_factory=set)
    creator_defaults: list[str] = field(default_factory=lambda: ["$read_members", "$remove_members", "$update_team"])
    member_defaults: list[str] = field(default_factory=lambda: ["$read_members"])


def rbac(emu: Emulator) -> Rbac:
    """The permission state of ``emu``, with memberships made elsewhere brought in (call under ``emu.lock``)."""
    state = emu.data.ext.get(RBAC_KEY)
    if not isinstance(state, Rbac):
        state = emu.data.ext[RBAC_KEY] = Rbac()
    _sync(emu, state)
    return state


def _defaults(emu: Emulator, state: Rbac, role: str) -> list[str]:
    if emu.legacy_tokens:
        return []
    return list(state.creator_defaults if role == "creator" else state.member_defaults)


def _sync(emu: Emulator, state: Rbac) -> None:
    teams, users = emu.data.teams, emu.data.users
    current = {(t.id, uid) for t in teams.values() for uid in t.member_ids}
    for team in teams.values():
        for index, uid in enumerate(team.member_ids):
            if (team.id, uid) not in state.seen_memberships:
                state.seen_memberships.add((team.id, uid))
                for perm in _defaults(emu, state, "creator" if index == 0 else "member"):
                    state.team_grants.add((team.id, uid, perm))
    # Memberships and users removed elsewhere (user deletion) take their permissions with them.
    state.seen_memberships &= current
    state.team_grants = {g for g in state.team_grants if (g[0], g[1]) in current}
    state.project_grants = {g for g in state.project_grants if g[0] in users}


def add_member(emu: Emulator, team: Team, user_id: str, role: str) -> None:
    """Add ``user_id`` to ``team`` with the default permissions of ``role`` (``creator`` or ``member``)."""
    with emu.lock:
        state = rbac(emu)
        team.member_ids.append(user_id)
        state.seen_memberships.add((team.id, user_id))
        for perm in _defaults(emu, state, role):
            state.team_grants.add((team.id, user_id, perm))
        if role != "creator":  # Stack adds a creator without the memberships CRUD: no membership event
            events.membership_created(emu, team.id, user_id, _defaults(emu, state, role))


def define_permission(emu: Emulator, permission_id: str, *, scope: str = "project", contains: list[str] | None = None,
                      description: str | None = None) -> None:
    """Define a permission directly (what the admin endpoints do), for tests and demos."""
    with emu.lock:
        rbac(emu).definitions[permission_id] = PermissionDefinition(permission_id, scope, description,
                                                                     sorted(contains or []))


# --- errors ------------------------------------------------------------------------------------


def team_not_found(team_id: str) -> E.KnownError:
    """``TEAM_NOT_FOUND`` (404)."""
    return E.KnownError(404, "TEAM_NOT_FOUND", f"Team {team_id} not found.", {"team_id": team_id})


def team_membership_not_found(team_id: str, user_id: str) -> E.KnownError:
    """``TEAM_MEMBERSHIP_NOT_FOUND`` (404)."""
    return E.KnownError(404, "TEAM_MEMBERSHIP_NOT_FOUND", f"User {user_id} is not found in team {team_id}.",
                        {"team_id": team_id, "user_id": user_id})


def team_membership_already_exists() -> E.KnownError:
    """``TEAM_MEMBERSHIP_ALREADY_EXISTS`` (409)."""
    return E.KnownError(409, "TEAM_MEMBERSHIP_ALREADY_EXISTS", "Team membership already exists.")


def permission_not_found(permission_id: str) -> E.KnownError:
    """``PERMISSION_NOT_FOUND`` (404)."""
    return E.KnownError(404, "PERMISSION_NOT_FOUND",
                        f'Permission "{permission_id}" not found. Make sure you created it on the dashboard.',
                        {"permission_id": permission_id})


def wrong_permission_scope(permission_id: str, expected: str, actual: str | None) -> E.KnownError:
    """``WRONG_PERMISSION_SCOPE`` (404)."""
    return E.KnownError(
        404, "WRONG_PERMISSION_SCOPE",
        f'Permission "{permission_id}" not found. (It was found for a different scope '
        f'{_js(actual)}, but scope "{expected}" was expected.)',
        {"permission_id": permission_id, "expected_scope": expected, "actual_scope": actual})


def _js(value: str | None) -> str:
    return "null" if value is None else f'"{value}"'


def _team_permission_error(code: str, team_id: str, user_id: str, permission_id: str) -> E.KnownError:
    return E.KnownError(401, code, f"User {user_id} does not have permission {permission_id} in team {team_id}.",
                        {"team_id": team_id, "user_id": user_id, "permission_id": permission_id})


def permission_id_already_exists(permission_id: str) -> E.KnownError:
    """``PERMISSION_ID_ALREADY_EXISTS`` (400)."""
    return E.KnownError(400, "PERMISSION_ID_ALREADY_EXISTS",
                        f'Permission with ID "{permission_id}" already exists. Choose a different ID.',
                        {"permission_id": permission_id})


def contained_permission_not_found(permission_id: str) -> E.KnownError:
    """``CONTAINED_PERMISSION_NOT_FOUND`` (400)."""
    return E.KnownError(400, "CONTAINED_PERMISSION_NOT_FOUND",
                        f'Contained permission with ID "{permission_id}" not found. Make sure you created it on the '
                        "dashboard.", {"permission_id": permission_id})


def _forbidden(what: str) -> E.StatusError:
    return E.StatusError(403, f'Client can only list {what} for their own user. user_id must be either "me" or the '
                              "ID of the current user")


# --- request helpers ---------------------------------------------------------------------------


def _system_permission(value: str) -> str | None:
    if value.startswith("$") and (
        value not in TEAM_SYSTEM_PERMISSIONS
        # v2.7.16 predates API keys: its system permissions lack this one (apikeys-result.json).
        or (value == "$manage_api_keys" and get_emulator().legacy_tokens)
    ):
        return "Invalid system permission"
    return None


#: userIdOrMeSchema, with ``me`` left for the route to resolve (resolve_user_id).
_USER_ID_OR_ME = Str().check(lambda v: None if v == "me" or is_uuid(v) else "{path} must be a valid UUID")
#: permissionDefinitionIdSchema (schema-fields.ts): yup runs both tests, so "$Bad" fails twice.
_PERMISSION_ID_FIELD = Str().matches(
    r"/^\$?[a-z0-9_:]+$/", 'Only lowercase letters, numbers, ":", "_" and optional "$" at the beginning are allowed'
).check(_system_permission)
_PARAMS = {"team_id": Str().uuid().defined(), "user_id": _USER_ID_OR_ME.defined(),
           "permission_id": _PERMISSION_ID_FIELD.defined()}
#: The crud handlers' querySchemas (teams/crud.tsx, team-permissions/crud.tsx, project-permissions/crud.tsx);
#: a crud without one (team-memberships) refuses every query parameter.
TEAMS_QUERY = {"user_id": _USER_ID_OR_ME, "add_current_user": Str().one_of("true", "false")}
_PERMISSIONS_QUERY = {"user_id": _USER_ID_OR_ME, "permission_id": _PERMISSION_ID_FIELD,
                      "recursive": Str().one_of("true", "false")}
TEAM_PERMISSIONS_QUERY = {"team_id": Str().uuid(), **_PERMISSIONS_QUERY}


def _check_params(*, query: dict[str, Field] | None = None, body: Field | None = None,
                  **params: str) -> Validated:
    """Validate path parameters, query and body like the route's crud handler (one ``SCHEMA_ERROR``)."""
    return validate(params={name: (_PARAMS[name], value) for name, value in params.items()},
                    query=query if query is not None else {}, body=body)


def _auth(*allowed: str) -> AuthContext:
    return require_auth(*allowed)


def _query_user(auth: AuthContext, query: dict[str, Any]) -> str | None:
    """The validated ``user_id`` query filter with ``me`` resolved."""
    raw = query.get("user_id")
    return resolve_user_id(auth, str(raw)) if raw is not None else None


def _user_exists(emu: Emulator, user_id: str) -> None:
    if user_id not in emu.data.users:
        raise E.user_not_found()


def _team(emu: Emulator, team_id: str) -> Team:
    team = emu.data.teams.get(team_id)
    if team is None:
        raise team_not_found(team_id)
    return team


def _membership(emu: Emulator, team_id: str, user_id: str) -> Team:
    """``ensureTeamMembershipExists``: the user must exist, then be in the team."""
    _user_exists(emu, user_id)
    team = emu.data.teams.get(team_id)
    if team is None or user_id not in team.member_ids:
        raise team_membership_not_found(team_id, user_id)
    return team


def _expand(state: Rbac, direct: set[str], scope: str, recursive: bool) -> set[str]:
    """Permission ids reachable from ``direct`` (through contained permissions when ``recursive``)."""
    result: set[str] = set()
    todo = list(direct)
    while todo:
        pid = todo.pop()
        if pid in result:
            continue
        definition = state.definitions.get(pid)
        if definition is not None and definition.scope == scope:
            result.add(pid)
            if recursive:
                todo.extend(definition.contained)
        elif scope == "team" and pid in TEAM_SYSTEM_PERMISSIONS:
            result.add(pid)
    return result


def team_permission_ids(emu: Emulator, team_id: str, user_id: str, *, recursive: bool = True) -> set[str]:
    """The team permissions ``user_id`` holds in ``team_id``."""
    with emu.lock:
        state = rbac(emu)
        direct = {p for t, u, p in state.team_grants if t == team_id and u == user_id}
        return _expand(state, direct, "team", recursive)


def _require_team_permission(emu: Emulator, team_id: str, user_id: str, permission_id: str) -> None:
    _membership(emu, team_id, user_id)
    if permission_id not in team_permission_ids(emu, team_id, user_id):
        raise _team_permission_error("TEAM_PERMISSION_REQUIRED", team_id, user_id, permission_id)


def _legacy_not_found() -> Response:
    return Response(E.NOT_FOUND_TEXT.format(url=request.url), status=404, content_type=E.TEXT_CONTENT_TYPE)


def _team_out(team: Team, auth: AuthContext) -> dict[str, Any]:
    return team_json(team, server=auth.type != "client")


_TEAM_CLIENT_UPDATE = Obj(
    {"display_name": Str(), "profile_image_url": Str().url().max(1000000).null(), "client_metadata": Json()}
).defined()
_TEAM_SERVER_UPDATE = _TEAM_CLIENT_UPDATE.concat(
    Obj({"client_read_only_metadata": Json(), "server_metadata": Json()}).defined()
)
_TEAM_CREATE_EXTRA = Obj({"display_name": Str().defined(), "creator_user_id": _USER_ID_OR_ME}).defined()


def _team_body(auth: AuthContext, *, creating: bool, **params: str) -> tuple[dict[str, Any], str | None]:
    """Validate a team body (interface/crud/teams.ts), ``params`` and the teams query in one go.

    Stack's team schemas are built by ``concat``, and each concatenated ``yupObject`` brings its own
    unknown-keys test: an unknown property is listed once per object (both versions recorded it)."""
    spec = _TEAM_CLIENT_UPDATE if auth.type == "client" else _TEAM_SERVER_UPDATE
    if creating:
        spec = spec.concat(_TEAM_CREATE_EXTRA)
    body = _check_params(query=TEAMS_QUERY, body=spec, **params).body
    creator = body.get("creator_user_id")
    return body, str(creator) if creator is not None else None


def _apply_team(team: Team, body: dict[str, Any]) -> None:
    for name in ("display_name", "profile_image_url", "client_metadata", "client_read_only_metadata",
                 "server_metadata"):
        if name in body:
            setattr(team, name, body[name])


# --- teams -------------------------------------------------------------------------------------


@bp.route("/teams", methods=["GET"])
def list_teams() -> Response:
    """All teams (server), or the teams of ``user_id``; a client may only list its own."""
    emu = get_emulator()
    auth = _auth()
    user_id = _query_user(auth, _check_params(query=TEAMS_QUERY).query)
    if auth.type == "client":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        if user_id != auth.user.id:
            raise E.StatusError(403, 'Client can only list teams for their own user. user_id must be either "me" or '
                                     "the ID of the current user")
    with emu.lock:
        teams = sorted(emu.data.teams.values(), key=lambda t: t.created_at)
        items = [_team_out(t, auth) for t in teams if user_id is None or user_id in t.member_ids]
    return json_response({"items": items, "is_paginated": False})


@bp.route("/teams", methods=["POST"])
def create_team() -> Response:
    """Create a team (201); ``creator_user_id`` joins it as creator."""
    emu = get_emulator()
    auth = _auth()
    body, creator = _team_body(auth, creating=True)
    if auth.type == "client":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user() if creator == "me" else E.user_authentication_required()
        from .profile import check_client_profile_image  # profile imports this module

        check_client_profile_image(body)
        if not auth.project.client_team_creation_enabled:
            raise E.StatusError(403, "Client team creation is disabled for this project")
        if creator is None:
            creator = auth.user.id
        elif resolve_user_id(auth, creator) != auth.user.id:
            raise E.StatusError(403, "You cannot create a team as a user that is not yourself. Make sure you set the "
                                     "creator_user_id to 'me'.")
    creator_id = resolve_user_id(auth, creator) if creator is not None else None
    with emu.lock:
        if creator_id is not None:
            _user_exists(emu, creator_id)
        team = Team(id=new_id(), display_name=str(body["display_name"]), created_at=emu.now())
        _apply_team(team, body)
        emu.data.teams[team.id] = team
        if creator_id is not None:
            add_member(emu, team, creator_id, "creator")
        out = _team_out(team, auth)
    return json_response(out, status=201)


@bp.route("/teams/<team_id>", methods=["GET"])
def get_team(team_id: str) -> Response:
    """Read a team; a client must be a member."""
    emu = get_emulator()
    _check_params(team_id=team_id, query=TEAMS_QUERY)
    auth = _auth()
    with emu.lock:
        if auth.type == "client":
            if auth.user is None:
                raise E.user_authentication_required()
            _membership(emu, team_id, auth.user.id)
        return json_response(_team_out(_team(emu, team_id), auth))


@bp.route("/teams/<team_id>", methods=["PATCH"])
def update_team(team_id: str) -> Response:
    """Update a team; a client needs ``$update_team``."""
    emu = get_emulator()
    auth = _auth()
    body, _ = _team_body(auth, creating=False, team_id=team_id)
    with emu.lock:
        if auth.type == "client":
            if auth.user is None:
                raise E.user_authentication_required()
            _require_team_permission(emu, team_id, auth.user.id, "$update_team")
        team = _team(emu, team_id)
        _apply_team(team, body)
        events.team_updated(emu, team)
        return json_response(_team_out(team, auth))


@bp.route("/teams/<team_id>", methods=["DELETE"])
def delete_team(team_id: str) -> Response:
    """Delete a team with its memberships and permissions; a client needs ``$delete_team``."""
    emu = get_emulator()
    _check_params(team_id=team_id, query=TEAMS_QUERY)
    auth = _auth()
    with emu.lock:
        if auth.type == "client":
            if auth.user is None:
                raise E.user_authentication_required()
            _require_team_permission(emu, team_id, auth.user.id, "$delete_team")
        team = _team(emu, team_id)
        for uid in team.member_ids:
            user = emu.data.users.get(uid)
            if user is not None and user.selected_team_id == team_id:
                user.selected_team_id = None
        del emu.data.teams[team_id]
        rbac(emu)
    return json_response({"success": True})


# --- memberships -------------------------------------------------------------------------------


@bp.route("/team-memberships/<team_id>/<user_id>", methods=["POST"])
def add_membership(team_id: str, user_id: str) -> Response:
    """Server: add a user to a team with the default member permissions (201)."""
    emu = get_emulator()
    _check_params(team_id=team_id, user_id=user_id)
    auth = _auth("server", "admin")
    uid = resolve_user_id(auth, user_id)
    with emu.lock:
        _user_exists(emu, uid)
        team = _team(emu, team_id)
        if uid in team.member_ids:
            raise team_membership_already_exists()
        add_member(emu, team, uid, "member")
    return json_response({"team_id": team_id, "user_id": uid}, status=201)


@bp.route("/team-memberships/<team_id>/<user_id>", methods=["DELETE"])
def remove_membership(team_id: str, user_id: str) -> Response:
    """Remove a user from a team; a client may remove itself, or others with ``$remove_members``."""
    emu = get_emulator()
    _check_params(team_id=team_id, user_id=user_id)
    auth = _auth()
    uid = resolve_user_id(auth, user_id)
    with emu.lock:
        if auth.type == "client":
            if auth.user is None:
                raise E.cannot_get_own_user_without_user()
            if uid != auth.user.id:
                _require_team_permission(emu, team_id, auth.user.id, "$remove_members")
        team = _membership(emu, team_id, uid)
        team.member_ids.remove(uid)
        events.membership_deleted(emu, team_id, uid)
        user = emu.data.users.get(uid)
        if user is not None and user.selected_team_id == team_id:
            user.selected_team_id = None
        rbac(emu)
    return json_response({"success": True})


# --- team permissions --------------------------------------------------------------------------


def _list_permissions(scope: str) -> Response:
    emu = get_emulator()
    auth = _auth()
    q = _check_params(query=TEAM_PERMISSIONS_QUERY if scope == "team" else _PERMISSIONS_QUERY).query
    user_id = _query_user(auth, q)
    team_id = q.get("team_id")
    permission_id = q.get("permission_id")
    recursive = q.get("recursive") == "true"
    if auth.type == "client":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        if user_id != auth.user.id:
            raise _forbidden("permissions")
    with emu.lock:
        state = rbac(emu)
        items: list[dict[str, Any]] = []
        if scope == "team":
            groups: dict[tuple[str, str], set[str]] = {}
            for t, u, p in state.team_grants:
                if (team_id is None or t == team_id) and (user_id is None or u == user_id):
                    groups.setdefault((t, u), set()).add(p)
            for (t, u), direct in sorted(groups.items()):
                items += [{"id": p, "user_id": u, "team_id": t} for p in sorted(_expand(state, direct, "team",
                                                                                         recursive))]
        else:
            by_user: dict[str, set[str]] = {}
            for u, p in state.project_grants:
                if user_id is None or u == user_id:
                    by_user.setdefault(u, set()).add(p)
            for u, direct in sorted(by_user.items()):
                items += [{"id": p, "user_id": u} for p in sorted(_expand(state, direct, "project", recursive))]
    if permission_id is not None:
        items = [i for i in items if i["id"] == permission_id]
    return json_response({"items": items, "is_paginated": False})


def _check_grantable(state: Rbac, permission_id: str, scope: str) -> None:
    definition = state.definitions.get(permission_id)
    if definition is None:
        if scope == "team" and permission_id in TEAM_SYSTEM_PERMISSIONS:
            return
        raise permission_not_found(permission_id)
    if definition.scope != scope:
        raise wrong_permission_scope(permission_id, scope, definition.scope)


@bp.route("/team-permissions", methods=["GET"])
def list_team_permissions() -> Response:
    """Team permissions, filtered by ``team_id``, ``user_id``, ``permission_id``; ``recursive`` expands."""
    return _list_permissions("team")


@bp.route("/team-permissions/<team_id>/<user_id>/<permission_id>", methods=["POST"])
def grant_team_permission(team_id: str, user_id: str, permission_id: str) -> Response:
    """Server: grant a team permission to a member (201; granting twice is fine)."""
    emu = get_emulator()
    _check_params(team_id=team_id, user_id=user_id, permission_id=permission_id, query=TEAM_PERMISSIONS_QUERY)
    auth = _auth("server", "admin")
    uid = resolve_user_id(auth, user_id)
    with emu.lock:
        _membership(emu, team_id, uid)
        state = rbac(emu)
        _check_grantable(state, permission_id, "team")
        state.team_grants.add((team_id, uid, permission_id))
        events.team_permission(emu, "created", team_id, uid, permission_id)
    return json_response({"id": permission_id, "user_id": uid, "team_id": team_id}, status=201)


@bp.route("/team-permissions/<team_id>/<user_id>/<permission_id>", methods=["DELETE"])
def revoke_team_permission(team_id: str, user_id: str, permission_id: str) -> Response:
    """Server: revoke a directly held team permission (401 ``TEAM_PERMISSION_NOT_FOUND`` if not held)."""
    emu = get_emulator()
    _check_params(team_id=team_id, user_id=user_id, permission_id=permission_id, query=TEAM_PERMISSIONS_QUERY)
    auth = _auth("server", "admin")
    uid = resolve_user_id(auth, user_id)
    with emu.lock:
        _membership(emu, team_id, uid)
        state = rbac(emu)
        if permission_id not in team_permission_ids(emu, team_id, uid, recursive=False):
            raise _team_permission_error("TEAM_PERMISSION_NOT_FOUND", team_id, uid, permission_id)
        state.team_grants.discard((team_id, uid, permission_id))
        events.team_permission(emu, "deleted", team_id, uid, permission_id)
    return json_response({"success": True})


# --- project permissions (v2.8) ----------------------------------------------------------------


@bp.route("/project-permissions", methods=["GET"])
def list_project_permissions() -> Response:
    """Project permissions, filtered by ``user_id`` and ``permission_id``."""
    if get_emulator().legacy_tokens:
        return _legacy_not_found()
    return _list_permissions("project")


@bp.route("/project-permissions/<user_id>/<permission_id>", methods=["POST"])
def grant_project_permission(user_id: str, permission_id: str) -> Response:
    """Server: grant a project permission (201)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    _check_params(user_id=user_id, permission_id=permission_id, query=_PERMISSIONS_QUERY)
    auth = _auth("server", "admin")
    uid = resolve_user_id(auth, user_id)
    with emu.lock:
        _user_exists(emu, uid)
        state = rbac(emu)
        _check_grantable(state, permission_id, "project")
        state.project_grants.add((uid, permission_id))
        events.project_permission(emu, "created", uid, permission_id)
    return json_response({"id": permission_id, "user_id": uid}, status=201)


@bp.route("/project-permissions/<user_id>/<permission_id>", methods=["DELETE"])
def revoke_project_permission(user_id: str, permission_id: str) -> Response:
    """Server: revoke a directly held project permission (404 ``PERMISSION_NOT_FOUND`` if not held)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    _check_params(user_id=user_id, permission_id=permission_id, query=_PERMISSIONS_QUERY)
    auth = _auth("server", "admin")
    uid = resolve_user_id(auth, user_id)
    with emu.lock:
        _user_exists(emu, uid)
        state = rbac(emu)
        direct = {p for u, p in state.project_grants if u == uid}
        if permission_id not in _expand(state, direct, "project", False):
            raise permission_not_found(permission_id)
        state.project_grants.discard((uid, permission_id))
        events.project_permission(emu, "deleted", uid, permission_id)
    return json_response({"success": True})


# --- permission definitions (admin key) --------------------------------------------------------


def _definition_json(d: PermissionDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id}
    if d.description is not None:
        out["description"] = d.description
    out["contained_permission_ids"] = sorted(d.contained)
    return out


def _definitions(scope: str) -> list[dict[str, Any]]:
    emu = get_emulator()
    with emu.lock:
        defs = [d for d in rbac(emu).definitions.values() if d.scope == scope]
    if scope == "team":
        defs += [PermissionDefinition(pid, "team", text) for pid, text in TEAM_SYSTEM_PERMISSIONS.items()]
    return [_definition_json(d) for d in sorted(defs, key=lambda d: d.id)]


def _create_definition(scope: str) -> Response:
    emu = get_emulator()
    _auth("admin")
    f = Fields("body", body_dict())
    pid = f.string("id", required=True)
    description = f.string("description")
    contained = f.raw("contained_permission_ids")
    if pid is not None and not _CUSTOM_PERMISSION_ID.match(pid):
        f.problems.append('Only lowercase letters, numbers, ":", "_" are allowed')
    if contained is not None and not (isinstance(contained, list) and all(isinstance(c, str) for c in contained)):
        f.problems.append("body.contained_permission_ids must be an array of strings")
    f.check()
    assert pid is not None
    with emu.lock:
        state = rbac(emu)
        if pid in state.definitions:
            raise permission_id_already_exists(pid)
        known = {d.id for d in state.definitions.values() if d.scope == scope}
        if scope == "team":
            known |= set(TEAM_SYSTEM_PERMISSIONS)
        for cid in contained or []:
            if cid not in known:
                raise contained_permission_not_found(cid)
        definition = PermissionDefinition(pid, scope, description, sorted(contained or []))
        state.definitions[pid] = definition
    return json_response(_definition_json(definition), status=201)


def _delete_definition(scope: str, permission_id: str) -> Response:
    emu = get_emulator()
    _auth("admin")
    with emu.lock:
        state = rbac(emu)
        definition = state.definitions.get(permission_id)
        if definition is None or definition.scope != scope:
            raise permission_not_found(permission_id)
        del state.definitions[permission_id]
        for d in state.definitions.values():
            d.contained = [c for c in d.contained if c != permission_id]
        state.team_grants = {g for g in state.team_grants if g[2] != permission_id}
        state.project_grants = {g for g in state.project_grants if g[1] != permission_id}
    return json_response({"success": True})


@bp.route("/project-permission-definitions", methods=["GET"])
def list_project_permission_definitions() -> Response:
    """Admin: the project's project-permission definitions."""
    if get_emulator().legacy_tokens:
        return _legacy_not_found()
    _auth("admin")
    return json_response({"items": _definitions("project"), "is_paginated": False})


@bp.route("/project-permission-definitions", methods=["POST"])
def create_project_permission_definition() -> Response:
    """Admin: define a project permission (201)."""
    if get_emulator().legacy_tokens:
        return _legacy_not_found()
    return _create_definition("project")


@bp.route("/project-permission-definitions/<permission_id>", methods=["DELETE"])
def delete_project_permission_definition(permission_id: str) -> Response:
    """Admin: delete a project permission definition and every grant of it."""
    if get_emulator().legacy_tokens:
        return _legacy_not_found()
    return _delete_definition("project", permission_id)


@bp.route("/team-permission-definitions", methods=["GET"])
def list_team_permission_definitions() -> Response:
    """Admin: the project's team-permission definitions, system ones included."""
    _auth("admin")
    return json_response({"items": _definitions("team"), "is_paginated": False})


@bp.route("/team-permission-definitions", methods=["POST"])
def create_team_permission_definition() -> Response:
    """Admin: define a team permission (201); it may contain system permissions."""
    return _create_definition("team")


@bp.route("/team-permission-definitions/<permission_id>", methods=["DELETE"])
def delete_team_permission_definition(permission_id: str) -> Response:
    """Admin: delete a team permission definition and every grant of it."""
    return _delete_definition("team", permission_id)
