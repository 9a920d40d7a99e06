"""Sessions, password and anonymous sign-in (Stack's ``auth/sessions``, ``auth/password``, ``auth/anonymous``)."""

from __future__ import annotations

from flask import Response, g, request

from . import errors as E
from .contact_channels import send_verification_mail
from .context import AuthContext, api_blueprint, get_emulator, json_response, require_auth
from .core import Emulator, check_password, hash_password
from .redirects import validate_redirect_url
from .schema import Bool, Num, Obj, Str, validate
from .serialize import session_json
from .state import User

bp = api_blueprint("stack_auth", __name__)

#: The request keys of a smart route declaring ``auth`` then ``body`` (sign-up, sign-in, session creation).
SMART_AUTH_BODY = ("auth", "body")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 70

#: The sessions crud's querySchema (auth/sessions/crud.tsx).
_SESSIONS_QUERY = {"user_id": Str().me().defined()}
#: POST /auth/sessions (auth/sessions/route.tsx).
_CREATE_SESSION = Obj(
    {
        "user_id": Str().me().defined(),
        "expires_in_millis": Num().max(1000 * 60 * 60 * 24 * 367),
        "is_impersonation": Bool(),
    }
).defined()
#: Stack's strictEmailSchema, which sign-up and the OTP code request use.
STRICT_EMAIL = Str().email().max(256).matches(r"/^[^.]+(\.[^.]+)*@.*\.[^.][^.]+$/")
#: The bot-challenge fields every sign-up form may carry (lib/turnstile.tsx).
BOT_CHALLENGE_FIELDS = {
    "bot_challenge_token": Str(),
    "bot_challenge_phase": Str().one_of("invisible", "visible"),
    "bot_challenge_unavailable": Str().one_of("true"),
}
_SIGN_UP = Obj(
    {
        "email": STRICT_EMAIL.defined(),
        "password": Str().max(MAX_PASSWORD_LENGTH).defined(),
        "verification_callback_url": Str().url(),
        **BOT_CHALLENGE_FIELDS,
    }
).defined()
#: v2.7 requires the verification link's target (v2.8 made it optional, and then mails nothing).
_SIGN_UP_V27 = Obj(
    {
        "email": STRICT_EMAIL.defined(),
        "password": Str().max(MAX_PASSWORD_LENGTH).defined(),
        "verification_callback_url": Str().url().defined(),
        **BOT_CHALLENGE_FIELDS,
    }
).defined()
_SIGN_IN = Obj(
    {"email": Str().email().defined().non_empty(), "password": Str().max(MAX_PASSWORD_LENGTH).defined()}
).defined()


def _own_id(auth: AuthContext) -> str | None:
    return auth.user.id if auth.user is not None else None


def tokens_for(emu: Emulator, user: User) -> dict[str, str]:
    """A new session for ``user``: ``{"access_token", "refresh_token"}``."""
    sess = emu.new_session(user.id)
    return {"access_token": emu.access_token_for_session(sess), "refresh_token": sess.refresh_token}


def resolve_user_id(auth: AuthContext, user_id: str) -> str:
    """Turn ``me`` into the token's user id (``CANNOT_GET_OWN_USER_WITHOUT_USER`` without one)."""
    if user_id == "me":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        return auth.user.id
    return user_id


def _legacy_not_found() -> Response:
    return Response(E.NOT_FOUND_TEXT.format(url=request.url), status=404, content_type=E.TEXT_CONTENT_TYPE)


# --- sessions --------------------------------------------------------------------------------


@bp.route("/auth/sessions/current/refresh", methods=["POST"])
def refresh_current() -> Response:
    """A new access token for the ``x-stack-refresh-token`` session."""
    emu = get_emulator()
    require_auth()
    refresh_token = request.headers.get("x-stack-refresh-token")
    # yupTuple([yupString().defined()]): an empty header is a defined string, so it is a token not found.
    if refresh_token is None:
        raise E.schema_error(request.method, request.path, ["headers.x-stack-refresh-token must be defined"])
    sess = emu.valid_session(refresh_token) if refresh_token else None
    if sess is None:
        raise E.refresh_token_not_found_or_expired()
    return json_response({"access_token": emu.access_token_for_session(sess)})


@bp.route("/auth/sessions/current", methods=["DELETE"])
def delete_current() -> Response:
    """Sign out: revoke the session of the access token."""
    emu = get_emulator()
    auth = require_auth()
    session_id = auth.refresh_token_id
    if emu.legacy_tokens:
        # v2.7's route requires the refresh-token header and deletes the session it names, whatever session
        # the access token came from (.../auth/sessions/current/route.tsx before mid-2025).
        rt = request.headers.get("x-stack-refresh-token")
        if not rt:
            raise E.schema_error(request.method, request.path, ["headers.x-stack-refresh-token must be defined"])
        sess = emu.valid_session(rt)
        if sess is None:
            raise E.refresh_token_not_found_or_expired()
        session_id = sess.id
    if session_id is None:
        raise E.access_token_expired(emu.now(), None, None, None, legacy=emu.legacy_tokens)
    with emu.lock:
        if emu.data.sessions.pop(session_id, None) is None:
            raise E.refresh_token_not_found_or_expired()
    return json_response({"success": True})


@bp.route("/auth/sessions", methods=["GET"])
def list_sessions() -> Response:
    """List a user's sessions (v2.8; 405 on legacy servers)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return Response("Method not allowed", status=405, content_type=E.TEXT_CONTENT_TYPE)
    auth = require_auth()
    uid = str(validate(query=_SESSIONS_QUERY, current_user_id=_own_id(auth)).query["user_id"])
    if auth.type == "client" and (auth.user is None or uid != auth.user.id):
        raise E.StatusError(403, "Client can only list sessions for their own user.")
    # As auth/sessions/crud.tsx: newest first, impersonation sessions for admins only, and no filter on the
    # user existing or the session having expired.
    with emu.lock:
        items = [
            session_json(s, current_session_id=auth.refresh_token_id)
            for s in sorted(emu.data.sessions.values(), key=lambda s: s.created_at, reverse=True)
            if s.user_id == uid and (auth.type == "admin" or not s.is_impersonation)
        ]
    return json_response({"items": items, "is_paginated": False})


@bp.route("/auth/sessions/<session_id>", methods=["DELETE"])
def delete_session(session_id: str) -> Response:
    """Revoke one session (v2.8; unknown route on legacy servers)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    v = validate(
        params={"id": (Str().uuid().defined(), session_id)}, query=_SESSIONS_QUERY, current_user_id=_own_id(auth)
    )
    del v  # user_id is required but unused: the crud's onDelete finds the session by id alone
    with emu.lock:
        sess = emu.data.sessions.get(session_id)
        # A client may only delete its own user's sessions: another's is "not found", whatever user_id says.
        if sess is None or (auth.type == "client" and (auth.user is None or sess.user_id != auth.user.id)):
            raise E.StatusError(404, "Session not found.")
        if session_id == auth.refresh_token_id:
            raise E.cannot_delete_current_session()
        del emu.data.sessions[session_id]
    return json_response({"success": True})


@bp.route("/auth/sessions", methods=["POST"])
def create_session() -> Response:
    """Server: create a session for any user."""
    emu = get_emulator()
    auth = require_auth("server", "admin")
    body = validate(body=_CREATE_SESSION, current_user_id=_own_id(auth), request_keys=SMART_AUTH_BODY).body
    user_id = body["user_id"]
    expires_in_millis = body.get("expires_in_millis", 365 * 24 * 3600 * 1000)
    is_impersonation = body.get("is_impersonation")
    with emu.lock:
        if str(user_id) not in emu.data.users:
            raise E.user_id_does_not_exist(str(user_id))
    sess = emu.new_session(
        str(user_id),
        expires_in=expires_in_millis / 1000,
        is_impersonation=bool(is_impersonation),
    )
    return json_response({"refresh_token": sess.refresh_token, "access_token": emu.access_token_for_session(sess)})


# --- password --------------------------------------------------------------------------------


@bp.route("/auth/password/sign-up", methods=["POST"])
def password_sign_up() -> Response:
    """Create a password user and sign it in."""
    emu = get_emulator()
    auth = require_auth()
    body = validate(body=_SIGN_UP_V27 if emu.legacy_tokens else _SIGN_UP, request_keys=SMART_AUTH_BODY).body
    email, password = str(body["email"]), str(body["password"])
    callback_url = body.get("verification_callback_url")
    project = auth.project
    if not project.credential_enabled:
        raise E.password_authentication_not_enabled()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise E.password_too_short(MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise E.password_too_long(MAX_PASSWORD_LENGTH)
    if callback_url and not validate_redirect_url(callback_url, project):
        raise E.redirect_url_not_whitelisted()
    upgrade = auth.user if auth.user is not None and auth.user.is_anonymous else None
    if upgrade is None and not project.sign_up_enabled:
        raise E.sign_up_not_enabled()
    with emu.lock:
        if emu.find_user_by_email(email, auth_only=True) is not None:
            raise E.user_email_already_exists(email, legacy=emu.legacy_tokens)
        if upgrade is not None:
            upgrade.is_anonymous = False
            upgrade.primary_email = email
            upgrade.primary_email_verified = False
            upgrade.primary_email_auth_enabled = True
            upgrade.password_hash = hash_password(password)
            user = upgrade
        else:
            user = emu.add_user(email=email, password=password, email_verified=False, email_auth_enabled=True)
    if callback_url:
        send_verification_mail(emu, user, email, callback_url)
    return json_response({**tokens_for(emu, user), "user_id": user.id})


@bp.route("/auth/password/sign-in", methods=["POST"])
def password_sign_in() -> Response:
    """Sign in with email and password."""
    emu = get_emulator()
    auth = require_auth()
    body = validate(body=_SIGN_IN, request_keys=SMART_AUTH_BODY).body
    email, password = str(body["email"]), str(body["password"])
    if not auth.project.credential_enabled:
        raise E.password_authentication_not_enabled()
    user = emu.find_user_by_email(email, auth_only=True)
    if user is None or not check_password(password, user.password_hash):
        raise E.email_password_mismatch()
    return json_response({**tokens_for(emu, user), "user_id": user.id})


# --- anonymous -------------------------------------------------------------------------------


@bp.route("/auth/anonymous/sign-up", methods=["POST"])
def anonymous_sign_up() -> Response:
    """Create an anonymous user (v2.8)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    if not auth.project.anonymous_enabled:
        raise E.anonymous_accounts_not_enabled()
    _ = g.get("body")
    user = emu.add_user(anonymous=True)
    return json_response({**tokens_for(emu, user), "user_id": user.id})
