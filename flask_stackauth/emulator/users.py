"""Users, current project and JWKS endpoints."""

from __future__ import annotations

from typing import Any

from flask import Response

from . import errors as E
from . import events
from .context import AuthContext, Fields, api_blueprint, get_emulator, json_response, query_fields, require_auth
from .core import Emulator, hash_password
from .profile import check_client_profile_image, check_selected_team, project_json
from .schema import Arr, Bool, Field, Json, Num, Obj, Str, validate
from .serialize import user_json
from .state import User, new_id

bp = api_blueprint("stack_users", __name__)

def _restricted_consistency(value: dict[str, Any]) -> str | None:
    # The object-level test of usersCrudServerUpdateSchema (interface/crud/users.ts).
    if value.get("restricted_by_admin") is not True:
        for name in ("restricted_by_admin_reason", "restricted_by_admin_private_details"):
            if value.get(name) is not None:
                return f"{name} must be null when restricted_by_admin is not true"
    return None


_RISK_SCORE = Num().integer().min(0).max(100).defined()
#: usersCrudServerUpdateSchema, field for field and in its order.
_SERVER_UPDATE_FIELDS: dict[str, Field] = {
    "display_name": Str().null().max(256),
    "profile_image_url": Str().url().max(1_000_000).null(),
    "client_metadata": Json(),
    "client_read_only_metadata": Json(),
    "server_metadata": Json(),
    "primary_email": Str().email().null().non_empty(),
    "primary_email_verified": Bool(),
    "primary_email_auth_enabled": Bool(),
    "passkey_auth_enabled": Bool(),
    "password": Str().max(70).null(),
    "password_hash": Str().non_empty(),
    "otp_auth_enabled": Bool(),
    "totp_secret_base64": Str().base64().null(),
    "selected_team_id": Str().uuid().null(),
    "is_anonymous": Bool().one_of(False),
    "restricted_by_admin": Bool(),
    "restricted_by_admin_reason": Str().null(),
    "restricted_by_admin_private_details": Str().null(),
    "country_code": Str().country().null(),
    "risk_scores": Obj({"sign_up": Obj({"bot": _RISK_SCORE, "free_trial_abuse": _RISK_SCORE}).defined()}),
}
_SERVER_UPDATE = Obj(_SERVER_UPDATE_FIELDS).defined().test(_restricted_consistency)
#: usersCrudServerCreateSchema: the update schema without selected_team_id, plus oauth_providers.
_SERVER_CREATE = (
    Obj(
        {
            **{k: v for k, v in _SERVER_UPDATE_FIELDS.items() if k != "selected_team_id"},
            "is_anonymous": Bool(),
            "oauth_providers": Arr(
                Obj({"id": Str().defined(), "account_id": Str().defined(), "email": Str().null()}).defined()
            ),
        }
    )
    .defined()
    .test(_restricted_consistency)
)
#: currentUserCrud's client update schema: a pick of the server one, in the pick's order.
_CLIENT_UPDATE = Obj(
    {
        name: _SERVER_UPDATE_FIELDS[name]
        for name in (
            "display_name",
            "profile_image_url",
            "client_metadata",
            "selected_team_id",
            "totp_secret_base64",
            "otp_auth_enabled",
            "passkey_auth_enabled",
            "primary_email",
        )
    }
).defined()
#: The users crud's querySchema, shared by all its operations (users/crud.tsx).
_USERS_QUERY: dict[str, Field] = {
    "team_id": Str().uuid(),
    "limit": Num().integer().min(1),
    "cursor": Str().uuid(),
    "order_by": Str().one_of("signed_up_at"),
    "desc": Str().one_of("true", "false"),
    "query": Str(),
    "include_anonymous": Str().one_of("true", "false"),
    "only_anonymous": Str().one_of("true", "false"),
    "include_restricted": Str().one_of("true", "false"),
}


def _user_id_param(user_id: str, auth: AuthContext) -> str:
    """``params.user_id`` as ``userIdOrMeSchema``, plus the crud's query; the resolved id."""
    me = auth.user.id if auth.user is not None else None
    v = validate(params={"user_id": (Str().me().defined(), user_id)}, query=_USERS_QUERY, current_user_id=me)
    return str(v.params["user_id"])


def _apply_update(emu: Emulator, user: User, body: dict[str, Any], *, creating: bool = False) -> None:
    """Validate and apply a user update (client or server fields, already filtered)."""
    f = Fields("body", body)
    strings = {
        name: f.string(name, nullable=True)
        for name in (
            "display_name",
            "profile_image_url",
            "primary_email",
            "selected_team_id",
            "password",
            "totp_secret_base64",
            "restricted_by_admin_reason",
            "restricted_by_admin_private_details",
            "country_code",
        )
    }
    bools = {
        name: f.boolean(name)
        for name in (
            "primary_email_verified",
            "primary_email_auth_enabled",
            "otp_auth_enabled",
            "passkey_auth_enabled",
            "is_anonymous",
            "restricted_by_admin",
        )
    }
    f.check()
    password = strings["password"]
    if password is not None:
        if len(password) < 8:
            raise E.password_too_short(8)
        if len(password) > 70:
            raise E.password_too_long(70)
    with emu.lock:
        new_email = strings["primary_email"] if "primary_email" in body else user.primary_email
        auth_enabled = (
            bools["primary_email_auth_enabled"]
            if bools["primary_email_auth_enabled"] is not None
            else user.primary_email_auth_enabled
        )
        if new_email and auth_enabled:
            other = emu.find_user_by_email(new_email, auth_only=True)
            if other is not None and other.id != user.id:
                raise E.user_email_already_exists(new_email, legacy=emu.legacy_tokens)
        for name in (
            "display_name",
            "profile_image_url",
            "totp_secret_base64",
            "restricted_by_admin_reason",
            "restricted_by_admin_private_details",
            "country_code",
        ):
            if name in body:
                setattr(user, name, strings[name])
        if "totp_secret_base64" in body:
            # As users/crud.tsx: setting a TOTP secret turns the MFA requirement on, clearing it turns it off.
            user.requires_totp_mfa = strings["totp_secret_base64"] is not None
        if "primary_email" in body:
            if new_email != user.primary_email:
                user.primary_email_verified = False
            user.primary_email = new_email
        for name in ("client_metadata", "client_read_only_metadata", "server_metadata"):
            if name in body:
                setattr(user, name, body[name])
        for name, value in bools.items():
            if value is not None:
                setattr(user, name, value)
        if "password" in body:
            user.password_hash = hash_password(password) if password else None
        if "selected_team_id" in body:
            team_id = strings["selected_team_id"]
            if team_id is not None:
                check_selected_team(emu, user, team_id)
            user.selected_team_id = team_id
        if creating and isinstance(body.get("oauth_providers"), list):
            for p in body["oauth_providers"]:
                if isinstance(p, dict) and isinstance(p.get("id"), str) and isinstance(p.get("account_id"), str):
                    user.oauth_providers.append({"id": p["id"], "account_id": p["account_id"], "email": p.get("email")})
        if not creating:
            events.user_updated(emu, user)


def _get_user(emu: Emulator, user_id: str) -> User:
    with emu.lock:
        user = emu.data.users.get(user_id)
    if user is None:
        raise E.user_not_found()
    return user


# --- /users/me -------------------------------------------------------------------------------


def _me(auth: AuthContext) -> User:
    if auth.user is None:
        raise E.cannot_get_own_user_without_user()
    return auth.user


@bp.route("/users/me", methods=["GET"])
def get_me() -> Response:
    """The signed-in user."""
    emu = get_emulator()
    auth = require_auth()
    validate(query={})
    return json_response(user_json(emu, _me(auth), server=auth.type != "client"))


@bp.route("/users/me", methods=["PATCH"])
def patch_me() -> Response:
    """Update the signed-in user."""
    emu = get_emulator()
    auth = require_auth()
    body = validate(body=_CLIENT_UPDATE if auth.type == "client" else _SERVER_UPDATE, query={}).body
    user = _me(auth)
    if auth.type == "client":
        check_client_profile_image(body)
    _apply_update(emu, user, body)
    return json_response(user_json(emu, user, server=auth.type != "client"))


@bp.route("/users/me", methods=["DELETE"])
def delete_me() -> Response:
    """Delete the signed-in user (clients only if the project allows it)."""
    emu = get_emulator()
    auth = require_auth()
    validate(query={})
    # Both servers check the flag first and answer 400 text/plain, with or without a session.
    if auth.type == "client" and not auth.project.client_user_deletion_enabled:
        raise E.StatusError(400, "Client user deletion is not enabled for this project")
    user = _me(auth)
    emu.delete_user(user.id)
    return json_response({"success": True})


# --- server user endpoints -------------------------------------------------------------------


@bp.route("/users", methods=["GET"])
def list_users() -> Response:
    """List users with cursor pagination."""
    emu = get_emulator()
    require_auth("server", "admin")
    q = validate(query=_USERS_QUERY).query
    limit = q.get("limit")
    cursor = q.get("cursor")
    text = q.get("query")
    desc = q.get("desc") == "true"
    include_anonymous = q.get("include_anonymous") == "true"
    only_anonymous = q.get("only_anonymous") == "true"
    include_restricted = q.get("include_restricted") == "true" or include_anonymous
    team_id = q.get("team_id")
    if only_anonymous and not include_anonymous:
        raise E.StatusError(400, "only_anonymous=true requires include_anonymous=true")
    with emu.lock:
        users = sorted(emu.data.users.values(), key=lambda u: (u.signed_up_at, u.id), reverse=bool(desc))
        if only_anonymous:
            users = [u for u in users if u.is_anonymous]
        elif not include_anonymous:
            users = [u for u in users if not u.is_anonymous]
        if not include_restricted:
            # As users/crud.tsx: users restricted by an admin are listed only on request.
            users = [u for u in users if not u.restricted_by_admin]
        if team_id:
            team = emu.data.teams.get(team_id)
            members = set(team.member_ids) if team else set()
            users = [u for u in users if u.id in members]
        if text:
            needle = text.lower()
            users = [
                u
                for u in users
                if needle in u.id.lower()
                or needle in (u.primary_email or "").lower()
                or needle in (u.display_name or "").lower()
            ]
        start = 0
        if cursor:
            ids = [u.id for u in users]
            start = ids.index(cursor) if cursor in ids else len(users)
        end = len(users) if limit is None else start + int(limit)
        page = users[start:end]
        next_cursor = users[end].id if end < len(users) else None
        items = [user_json(emu, u, server=True) for u in page]
    return json_response({"items": items, "is_paginated": True, "pagination": {"next_cursor": next_cursor}})


@bp.route("/users", methods=["POST"])
def create_user() -> Response:
    """Create a user (201)."""
    emu = get_emulator()
    require_auth("server", "admin")
    body = validate(body=_SERVER_CREATE, query=_USERS_QUERY).body
    user = User(id="", signed_up_at=emu.now(), last_active_at=emu.now())
    _apply_update(emu, user, body, creating=True)
    user.id = new_id()
    if user.primary_email is None:
        user.primary_email_verified = False
        user.primary_email_auth_enabled = False
    with emu.lock:
        emu.data.users[user.id] = user
        out = user_json(emu, user, server=True)
        emu.ensure_personal_team(user)
    return json_response(out, status=201)


@bp.route("/users/<user_id>", methods=["GET"])
def get_user(user_id: str) -> Response:
    """Read a user."""
    emu = get_emulator()
    user_id = _user_id_param(user_id, require_auth("server", "admin"))
    return json_response(user_json(emu, _get_user(emu, user_id), server=True))


@bp.route("/users/<user_id>", methods=["PATCH"])
def patch_user(user_id: str) -> Response:
    """Update a user."""
    emu = get_emulator()
    auth = require_auth("server", "admin")
    me = auth.user.id if auth.user is not None else None
    v = validate(
        body=_SERVER_UPDATE,
        params={"user_id": (Str().me().defined(), user_id)},
        query=_USERS_QUERY,
        current_user_id=me,
    )
    user = _get_user(emu, str(v.params["user_id"]))
    _apply_update(emu, user, v.body)
    return json_response(user_json(emu, user, server=True))


@bp.route("/users/<user_id>", methods=["DELETE"])
def delete_user(user_id: str) -> Response:
    """Delete a user; its sessions die with it."""
    emu = get_emulator()
    user_id = _user_id_param(user_id, require_auth("server", "admin"))
    if not emu.delete_user(user_id):
        raise E.user_not_found()
    return json_response({"success": True})


# --- project ---------------------------------------------------------------------------------


@bp.route("/projects/current", methods=["GET"])
def current_project() -> Response:
    """The project's client-visible configuration."""
    auth = require_auth()
    validate(query={})  # projects/current/crud.tsx has no querySchema: the crud handler's yupObject({})
    return json_response(project_json(get_emulator(), auth.project))


# --- JWKS ------------------------------------------------------------------------------------


@bp.route("/projects/<project_id>/.well-known/jwks.json", methods=["GET"])
def jwks(project_id: str) -> Response:
    """The project's public keys."""
    emu = get_emulator()
    if project_id != emu.project.id:
        return Response("Project not found", status=404, content_type=E.TEXT_CONTENT_TYPE)
    q = query_fields()
    include_restricted = q.boolean("include_restricted")
    include_anonymous = q.boolean("include_anonymous")
    q.check()
    auds = [project_id]
    if include_restricted or include_anonymous:
        auds.append(f"{project_id}:restricted")
    if include_anonymous:
        auds.append(f"{project_id}:anon")
    resp = json_response(emu.keys.jwks(auds))
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.route("/projects-anonymous-users/<project_id>/.well-known/jwks.json", methods=["GET"])
def jwks_anonymous(project_id: str) -> Response:
    """Redirect to the JWKS with anonymous keys included."""
    resp = Response("", status=307)
    resp.headers["Location"] = f"/api/v1/projects/{project_id}/.well-known/jwks.json?include_anonymous=true"
    return resp


@bp.route("/projects-restricted-users/<project_id>/.well-known/jwks.json", methods=["GET"])
def jwks_restricted(project_id: str) -> Response:
    """Redirect to the JWKS with restricted keys included."""
    resp = Response("", status=307)
    resp.headers["Location"] = f"/api/v1/projects/{project_id}/.well-known/jwks.json?include_restricted=true"
    return resp
