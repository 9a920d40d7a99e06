"""OAuth endpoints: authorize, callback and token (Stack's ``auth/oauth/*`` routes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import quote, unquote, urlencode

from flask import Response, after_this_request, g, request

from . import connected
from . import errors as E
from .auth import BOT_CHALLENGE_FIELDS
from .context import _decode_access_token, api_blueprint, get_emulator, json_response
from .core import Emulator
from .redirects import add_query, is_valid_url, validate_redirect_url
from .schema import Obj, Str, validate
from .state import PUBLIC_CLIENT_SENTINEL, AuthorizationCode, OAuthFlow, ProjectConfig, User

bp = api_blueprint("stack_oauth", __name__)

OUTER_FLOW_SECONDS = 10 * 60
AUTHORIZATION_CODE_SECONDS = 5 * 60
INNER_COOKIE_PREFIX = "stack-oauth-inner-"
#: The OAuth parameters of GET /auth/oauth/authorize (auth/oauth/authorize/[provider_id]/route.tsx), both versions.
_AUTHORIZE_OAUTH = {
    "client_id": Str().defined(),
    "client_secret": Str().defined(),
    "redirect_uri": Str().url().defined(),
    "scope": Str().defined(),
    "state": Str().defined(),
    "grant_type": Str().one_of("authorization_code").defined(),
    "code_challenge": Str().defined(),
    "code_challenge_method": Str().defined(),
    "response_type": Str().defined(),
}
_AUTHORIZE_CUSTOM = {
    "type": Str().one_of("authenticate", "link"),
    "token": Str(),
    "provider_scope": Str(),
    "error_redirect_url": Str().url(),
    "error_redirect_uri": Str().url(),
}
#: v2.8: unknown parameters pass (noUnknown(false): browsers inject some), JSON mode and bot-challenge fields.
_AUTHORIZE_QUERY = Obj(
    {
        **_AUTHORIZE_CUSTOM,
        "after_callback_redirect_url": Str().url(),
        "stack_response_mode": Str().one_of("json", "redirect"),
        **BOT_CHALLENGE_FIELDS,
        **_AUTHORIZE_OAUTH,
    }
).unknown()
#: v2.7.16 (source of 2025-02-20): no JSON mode, no bot challenge, a plain-string after-callback URL, and
#: unknown parameters refused like in any other query.
_LEGACY_AUTHORIZE_QUERY = Obj({**_AUTHORIZE_CUSTOM, "after_callback_redirect_url": Str(), **_AUTHORIZE_OAUTH})
#: POST /auth/oauth/token: only these are yup's; the rest is node-oauth2-server's (``.unknown()``).
_GRANT_TYPE = Str().one_of("authorization_code", "refresh_token").defined()
_TOKEN_BODY = Obj({"grant_type": _GRANT_TYPE, "client_id": Str(), "client_secret": Str()}).unknown().defined()
_LEGACY_TOKEN_BODY = Obj({"grant_type": _GRANT_TYPE}).unknown().defined()


def check_publishable_key(emu: Emulator, project: ProjectConfig, key: str | None) -> str:
    """``"ok"``, ``"invalid"`` or ``"required"`` for a publishable key (or the public sentinel)."""
    if key == PUBLIC_CLIENT_SENTINEL and not emu.legacy_tokens:
        return "required" if project.require_publishable_client_key else "ok"
    if key is not None and hmac.compare_digest(key, project.publishable_client_key):
        return "ok"
    return "invalid"


def project_for_client_id(emu: Emulator, client_id: str) -> ProjectConfig | None:
    """The project named by an OAuth ``client_id`` (``pid`` or ``pid#branch``)."""
    pid, _, branch = client_id.partition("#")
    if pid == emu.project.id and branch in ("", "main"):
        return emu.project
    return None


# --- authorize -------------------------------------------------------------------------------


@bp.route("/auth/oauth/authorize/<provider_id>", methods=["GET"])
def authorize(provider_id: str) -> Response:
    """Start an OAuth flow: redirect (307 + inner cookie) or JSON ``{"location"}``."""
    emu = get_emulator()
    values: dict[str, Any] = validate(
        params={"provider_id": (Str().defined(), provider_id)},
        query=_LEGACY_AUTHORIZE_QUERY if emu.legacy_tokens else _AUTHORIZE_QUERY,
        request_keys=("params", "query"),
    ).query
    type_ = values.get("type", "authenticate")
    response_mode = "redirect" if emu.legacy_tokens else values.get("stack_response_mode", "redirect")
    token = values.get("token", "")
    provider_scope = values.get("provider_scope") or None
    error_redirect = values.get("error_redirect_uri") or values.get("error_redirect_url")
    after_callback = values.get("after_callback_redirect_url")
    client_id = str(values["client_id"])

    project = project_for_client_id(emu, client_id)
    if project is None:
        raise E.invalid_oauth_client_id_or_secret(client_id, legacy=emu.legacy_tokens)
    key_state = check_publishable_key(emu, project, values["client_secret"])
    if key_state == "required":
        raise E.publishable_client_key_required_for_project(project.id)
    if key_state == "invalid":
        raise E.invalid_publishable_client_key(project.id)
    if provider_id not in project.oauth_providers:
        raise E.oauth_provider_not_found_or_not_enabled()
    if type_ == "link" and not token:
        raise E.StatusError(400, "?token= query parameter is required for link type")
    if provider_scope and connected.shared_keys(emu):
        raise connected.extra_scope_not_available()
    if after_callback and not validate_redirect_url(after_callback, project):
        raise E.redirect_url_not_whitelisted()

    project_user_id: str | None = None
    if token:
        claims = _decode_access_token(emu, token)
        if str(claims["aud"]).split(":")[0] != project.id:
            raise E.StatusError(403, "The access token is not valid for this project")
        project_user_id = str(claims["sub"])

    inner_state = secrets.token_urlsafe(32)
    inner_verifier = secrets.token_urlsafe(32)
    flow = OAuthFlow(
        inner_state=inner_state,
        project_id=project.id,
        provider_id=provider_id,
        publishable_client_key=str(values["client_secret"]),
        redirect_uri=str(values["redirect_uri"]).split("#")[0],
        scope=str(values["scope"]),
        state=str(values["state"]),
        grant_type=str(values["grant_type"]),
        code_challenge=str(values["code_challenge"]),
        code_challenge_method=str(values["code_challenge_method"]),
        response_type=str(values["response_type"]),
        type=type_,
        project_user_id=project_user_id,
        error_redirect_url=error_redirect,
        after_callback_redirect_url=after_callback,
        response_mode=response_mode,
        expires_at=emu.now() + OUTER_FLOW_SECONDS,
        provider_scope=provider_scope,
    )
    with emu.lock:
        emu.data.flows[inner_state] = flow

    base = emu.current_base_url()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(inner_verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "client_id": provider_id,
        "scope": "openid offline_access",
        "response_type": "code",
        "redirect_uri": f"{base}/api/v1/auth/oauth/callback/{provider_id}",
        "code_challenge_method": "S256",
        "code_challenge": challenge,
        "state": inner_state,
        "access_type": "offline",
        "prompt": "consent",
    }
    location = f"{base}/mock-oauth/auth?" + urlencode(params, quote_via=quote)

    if response_mode == "json":
        return json_response({"location": location})
    resp = Response("", status=307, content_type="text/plain; charset=utf-8")
    resp.headers["Location"] = location
    resp.set_cookie(
        INNER_COOKIE_PREFIX + inner_state,
        "true",
        max_age=OUTER_FLOW_SECONDS,
        path="/",
        httponly=True,
        secure=request.is_secure,
    )
    return resp


# --- callback --------------------------------------------------------------------------------


def _redirect_or_raise(err: E.KnownError, flow: OAuthFlow, project: ProjectConfig) -> Response:
    target: str | None = None
    if validate_redirect_url(flow.redirect_uri, project):
        target = flow.redirect_uri
    elif flow.error_redirect_url and validate_redirect_url(flow.error_redirect_url, project):
        target = flow.error_redirect_url
    if target is None:
        raise err
    location = add_query(
        target,
        [
            ("error", "server_error"),
            ("error_description", err.message),
            ("errorCode", err.code),
            ("message", err.message),
            ("details", json.dumps(err.details or {}, separators=(",", ":"))),
        ],
    )
    resp = Response("", status=307)
    resp.headers["Location"] = location
    return resp


def _sign_in_user(emu: Emulator, flow: OAuthFlow, project: ProjectConfig, email: str) -> tuple[User, bool]:
    """Find, link or create the user for a provider login; return it and whether it is new."""
    provider = flow.provider_id
    with emu.lock:
        users = emu.data.users
        owner = next(
            (
                u
                for u in users.values()
                if any(p["id"] == provider and p["account_id"] == email for p in u.oauth_providers)
            ),
            None,
        )
        account = {"id": provider, "account_id": email, "email": email}
        if flow.type == "link":
            target = users.get(flow.project_user_id or "")
            if target is None:
                raise E.user_not_found()
            if owner is not None and owner.id != target.id:
                raise E.KnownError(
                    409,
                    "OAUTH_CONNECTION_ALREADY_CONNECTED_TO_ANOTHER_USER",
                    "The OAuth connection is already connected to another user.",
                )
            if owner is None:
                target.oauth_providers.append(account)
            return target, False
        if owner is not None:
            return owner, False
        same_email = emu.find_user_by_email(email)
        if same_email is not None and not same_email.is_anonymous:
            same_email.oauth_providers.append(account)
            return same_email, False
        current = users.get(flow.project_user_id or "")
        if current is not None and current.is_anonymous:
            current.is_anonymous = False
            current.primary_email = email
            current.primary_email_verified = not emu.legacy_tokens
            current.oauth_providers.append(account)
            return current, True
        if not project.sign_up_enabled:
            raise E.sign_up_not_enabled()
        user = emu.add_user(email=email, email_verified=not emu.legacy_tokens, email_auth_enabled=False)
        user.oauth_providers.append(account)
        return user, True


@bp.route("/auth/oauth/callback/<provider_id>", methods=["GET", "POST"])
def callback(provider_id: str) -> Response:
    """The provider's return: create/find the user and redirect to the app with a code."""
    emu = get_emulator()
    params: dict[str, Any] = dict(request.args.items())
    if isinstance(g.get("body"), dict):
        params.update(g.body)
    inner_state = str(params.get("state") or "")
    with emu.lock:
        flow = emu.data.flows.get(inner_state)
    if flow is None:
        raise E.StatusError(400, "Invalid OAuth state. Please try signing in again.")

    if flow.response_mode != "json":
        cookie_name = INNER_COOKIE_PREFIX + inner_state

        @after_this_request
        def _clear_cookie(resp: Response) -> Response:
            resp.delete_cookie(cookie_name, path="/")
            return resp

        if request.cookies.get(cookie_name) != "true":
            prefix = "OAuth" if emu.legacy_tokens else "Inner OAuth"
            raise E.StatusError(
                400,
                f"{prefix} cookie not found. This is likely because you refreshed the page during the OAuth sign in"
                " process. Please try signing in again",
            )

    project = emu.project
    try:
        if flow.expires_at < emu.now():
            raise E.outer_oauth_timeout()
        if provider_id not in project.oauth_providers or provider_id != flow.provider_id:
            raise E.oauth_provider_not_found_or_not_enabled()
        key_state = check_publishable_key(emu, project, flow.publishable_client_key)
        if key_state == "required":
            raise E.publishable_client_key_required_for_project(project.id)
        if key_state == "invalid":
            raise E.invalid_publishable_client_key(project.id)
        if params.get("error"):
            return _redirect_or_raise(E.oauth_provider_access_denied(), flow, project)
        with emu.lock:
            pcode = emu.data.provider_codes.get(str(params.get("code") or ""))
            if pcode is None or pcode.used or pcode.client_id != provider_id:
                raise E.StatusError(400, "Inner OAuth callback failed due to invalid grant. Please try again.")
            pcode.used = True
        if not validate_redirect_url(flow.redirect_uri, project):
            raise E.redirect_url_not_whitelisted()
        if flow.scope != "legacy":
            raise E.StatusError(400, "Invalid scope requested. Please check the scopes you are requesting.")
        if flow.response_type != "code":
            raise E.OAuthProtocolError(
                400, "unsupported_response_type", "Unsupported response type: `response_type` is not supported"
            )
        user, new_user = _sign_in_user(emu, flow, project, pcode.email)
        connected.record_connection(emu, user.id, provider_id, pcode.email, flow.provider_scope)
        code = AuthorizationCode(
            code=secrets.token_hex(32),
            project_id=project.id,
            user_id=user.id,
            redirect_uri=flow.redirect_uri,
            code_challenge=flow.code_challenge,
            code_challenge_method=flow.code_challenge_method,
            expires_at=emu.now() + AUTHORIZATION_CODE_SECONDS,
            new_user=new_user,
            after_callback_redirect_url=flow.after_callback_redirect_url,
        )
        with emu.lock:
            emu.data.codes[code.code] = code
    except E.KnownError as err:
        return _redirect_or_raise(err, flow, project)

    location = add_query(flow.redirect_uri, [("code", code.code), ("state", flow.state)])
    resp = json_response({}, status=307 if emu.legacy_tokens else 303)
    resp.headers["Location"] = location
    return resp


# --- token -----------------------------------------------------------------------------------


def _pkce_ok(code: AuthorizationCode, verifier: str | None) -> bool:
    if not code.code_challenge:
        return True
    if not verifier:
        return False
    if code.code_challenge_method == "plain":
        return hmac.compare_digest(verifier, code.code_challenge)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(digest, code.code_challenge)


def _basic_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return None, None
    cid, sep, secret = decoded.partition(":")
    if not sep:
        return None, None
    return unquote(cid), unquote(secret)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@bp.route("/auth/oauth/token", methods=["POST"])
def token() -> Response:
    """Exchange an authorization code or a refresh token for tokens."""
    emu = get_emulator()
    checked = validate(body=_LEGACY_TOKEN_BODY if emu.legacy_tokens else _TOKEN_BODY, request_keys=("body",)).body
    body: dict[str, Any] = g.get("body")
    grant_type = checked["grant_type"]
    # v2.7 reads the client credentials through node-oauth2-server alone (no yup cast).
    client_id = checked.get("client_id") if not emu.legacy_tokens else _str_or_none(body.get("client_id"))
    client_secret = checked.get("client_secret") if not emu.legacy_tokens else _str_or_none(body.get("client_secret"))
    if not client_id and not client_secret:
        client_id, client_secret = _basic_credentials()
    legacy = emu.legacy_tokens

    project = project_for_client_id(emu, client_id) if client_id else None
    if project is not None:
        if client_secret:
            state = check_publishable_key(emu, project, client_secret)
            if state == "required":
                raise E.publishable_client_key_required_for_project(project.id)
            if state == "invalid":
                raise E.invalid_oauth_client_id_or_secret(legacy=legacy)
        elif project.require_publishable_client_key and not legacy:
            raise E.publishable_client_key_required_for_project(project.id)
    if project is None or not client_secret:
        raise E.invalid_oauth_client_id_or_secret(legacy=legacy)

    if grant_type == "authorization_code":
        return _authorization_code_grant(emu, project, body)
    return _refresh_token_grant(emu, project, body)


def _authorization_code_grant(emu: Emulator, project: ProjectConfig, body: dict[str, Any]) -> Response:
    code_value = body.get("code")
    if not code_value or not isinstance(code_value, str):
        raise E.OAuthProtocolError(400, "invalid_request", "Missing parameter: `code`")
    verifier = body.get("code_verifier")
    redirect_uri = body.get("redirect_uri")
    with emu.lock:
        code = emu.data.codes.get(code_value)
        if (
            code is None
            or code.project_id != project.id
            or code.expires_at < emu.now()
            or code.user_id not in emu.data.users
        ):
            raise E.invalid_authorization_code()
        if not _pkce_ok(code, verifier if isinstance(verifier, str) else None):
            raise E.invalid_authorization_code()
        del emu.data.codes[code_value]
    if not isinstance(redirect_uri, str) or not is_valid_url(redirect_uri):
        # node-oauth2-server validates redirect_uri after burning the code; Stack passes its answer through.
        raise E.OAuthProtocolError(400, "invalid_request", "Invalid request: `redirect_uri` is not a valid URI")
    if redirect_uri != code.redirect_uri:
        if emu.legacy_tokens:
            raise E.redirect_url_not_whitelisted()
        raise E.StatusError(
            400,
            "Invalid redirect URI. Your redirect URI must be the same as the one used to get the authorization code.",
        )
    sess = emu.new_session(code.user_id)
    access_token = emu.access_token_for_session(sess)
    return json_response(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3599,
            "refresh_token": sess.refresh_token,
            "scope": "legacy",
            "newUser": code.new_user,
            "is_new_user": code.new_user,
            "afterCallbackRedirectUrl": code.after_callback_redirect_url,
            "after_callback_redirect_url": code.after_callback_redirect_url,
        }
    )


def _refresh_token_grant(emu: Emulator, project: ProjectConfig, body: dict[str, Any]) -> Response:
    refresh_token = body.get("refresh_token")
    if not refresh_token or not isinstance(refresh_token, str):
        raise E.OAuthProtocolError(400, "invalid_request", "Missing parameter: `refresh_token`")
    sess = emu.valid_session(refresh_token)
    if sess is None:
        raise E.refresh_token_not_found_or_expired()
    out: dict[str, Any] = {
        "access_token": emu.access_token_for_session(sess),
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "legacy",
    }
    if not emu.legacy_tokens:
        out["afterCallbackRedirectUrl"] = None
        out["after_callback_redirect_url"] = None
    return json_response(out)
