"""Request plumbing shared by all Stack API blueprints: body parsing, project auth, helpers.

Other modules add routes with :func:`api_blueprint`, which installs the same body parsing and
``x-stack-*`` authentication that Stack's ``smart-request.tsx`` performs.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, g, request

from . import errors as E
from .keys import decode_unverified
from .state import ProjectConfig, User

if TYPE_CHECKING:
    from .core import Emulator

_UNSET = object()


def get_emulator() -> Emulator:
    """The :class:`Emulator` serving the current request."""
    emu: Emulator = current_app.extensions["stackauth_emulator"]
    return emu


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with Stack's content type, keys kept in order."""
    resp = Response(json.dumps(body), status=status, content_type=E.JSON_CONTENT_TYPE)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


@dataclass
class AuthContext:
    """The project authentication of a request (Stack's ``SmartRequestAuth``)."""

    type: str
    project: ProjectConfig
    user: User | None
    refresh_token_id: str | None
    access_token: str | None


def parse_body() -> Any:
    """Parse the request body like Stack: JSON, form, text; other types → ``BODY_PARSING_ERROR``."""
    if request.method == "GET":
        return None
    # Exactly as smart-request.tsx reads it: no case folding, no trimming ("Application/JSON" is refused).
    ctype = (request.headers.get("content-type") or "").split(";")[0]
    raw = request.get_data(cache=True)
    if ctype == "":
        return None
    if ctype == "application/octet-stream":
        return raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise E.body_parsing_error("Request body cannot be parsed as UTF-8") from None
    if ctype == "application/json":
        try:
            return json.loads(text)
        except ValueError:
            raise E.body_parsing_error("Invalid JSON in request body") from None
    if ctype == "text/plain":
        return text
    if ctype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    raise E.body_parsing_error("Unknown content type in request body: " + ctype)


def _decode_access_token(emu: Emulator, token: str) -> dict[str, Any]:
    """Verify an incoming access token; return its claims or raise the known error."""
    parts = decode_unverified(token)
    if parts is None:
        raise E.unparsable_access_token()
    _, claims = parts
    aud = claims.get("aud")
    if not isinstance(aud, str) or not aud:
        raise E.unparsable_access_token()
    project_id = aud.split(":")[0]
    if not emu.keys.verify_signature(token, aud):
        raise E.unparsable_access_token()
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise E.unparsable_access_token()
    if exp <= emu.now():
        raise E.access_token_expired(
            float(exp),
            project_id,
            claims.get("sub") if isinstance(claims.get("sub"), str) else None,
            claims.get("refresh_token_id") or claims.get("refreshTokenId"),
            legacy=emu.legacy_tokens,
        )
    if claims.get("iss") not in emu.allowed_issuers(project_id):
        raise E.unparsable_access_token()
    if not isinstance(claims.get("sub"), str):
        raise E.unparsable_access_token()
    if (claims.get("branch_id") or claims.get("branchId")) != "main":
        raise E.unparsable_access_token()
    return claims


def parse_auth(emu: Emulator) -> AuthContext | None:
    """Authenticate the request from its ``x-stack-*`` headers (``parseAuth`` in smart-request.tsx)."""
    h = request.headers
    project_id = h.get("x-stack-project-id")
    branch_id = h.get("x-stack-branch-id") or "main"
    access_type = h.get("x-stack-access-type")
    pck = h.get("x-stack-publishable-client-key")
    ssk = h.get("x-stack-secret-server-key")
    sak = h.get("x-stack-super-secret-admin-key")
    admin_token = h.get("x-stack-admin-access-token")
    access_token = h.get("x-stack-access-token")
    allow_anonymous = h.get("x-stack-allow-anonymous-user") == "true"
    allow_restricted = allow_anonymous or h.get("x-stack-allow-restricted-user") == "true"

    if not access_type and (pck or ssk or sak or admin_token):
        raise E.project_key_without_access_type()
    if not access_type:
        return None
    if access_type not in ("client", "server", "admin"):
        raise E.invalid_access_type(access_type)
    if not project_id:
        raise E.access_type_without_project_id(access_type)

    claims: dict[str, Any] | None = None
    if access_token:
        claims = _decode_access_token(emu, access_token)
        token_project = str(claims["aud"]).split(":")[0]
        if token_project != project_id:
            raise E.invalid_project_for_access_token(project_id, token_project)
        aud = str(claims["aud"])
        is_anon = bool(claims.get("is_anonymous")) or aud.endswith(":anon")
        reason = claims.get("restricted_reason")
        if is_anon and not allow_anonymous:
            raise E.anonymous_authentication_not_allowed()
        if (reason or aud.endswith(":restricted")) and not allow_restricted:
            raise E.restricted_user_not_allowed(reason if isinstance(reason, dict) else {"type": "anonymous"})

    project = emu.project
    if project_id != project.id:
        if emu.legacy_tokens and access_type == "client" and pck:
            # v2.7.16 looks the key up by project first (account-result.json err_projects_current_wrong_project).
            raise E.invalid_publishable_client_key(project_id)
        raise E.current_project_not_found(project_id)

    if admin_token:
        raise E.KnownError(401, "UNPARSABLE_ADMIN_ACCESS_TOKEN", "Admin access token is not parsable.")
    if access_type == "client":
        if not pck:
            if emu.legacy_tokens:
                raise E.client_authentication_required()
            if project.require_publishable_client_key:
                raise E.publishable_client_key_required_for_project(project.id)
        elif pck != project.publishable_client_key:
            raise E.invalid_publishable_client_key(project.id)
    elif access_type == "server":
        if not ssk:
            raise E.server_authentication_required()
        if ssk != project.secret_server_key:
            raise E.invalid_secret_server_key(project.id)
    else:
        if not sak:
            raise E.admin_authentication_required()
        if sak != project.super_secret_admin_key:
            raise E.invalid_super_secret_admin_key(project.id)

    if branch_id != "main":
        raise E.branch_does_not_exist(branch_id)

    user: User | None = None
    refresh_token_id: str | None = None
    if claims is not None and access_token:
        with emu.lock:
            user = emu.data.users.get(str(claims["sub"]))
            rtid = claims.get("refresh_token_id") or claims.get("refreshTokenId")
            if isinstance(rtid, str):
                refresh_token_id = rtid
            elif emu.legacy_tokens:
                refresh_token_id = emu.data.legacy_token_sessions.get(access_token)
    return AuthContext(
        type=access_type, project=project, user=user, refresh_token_id=refresh_token_id, access_token=access_token
    )


def _before_api_request() -> None:
    emu = get_emulator()
    g.body = parse_body()
    g.auth = parse_auth(emu)


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under ``/api/v1`` whose routes get ``g.body`` and ``g.auth`` like Stack's smart requests."""
    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    bp.before_request(_before_api_request)
    return bp


# --- helpers for route handlers --------------------------------------------------------------


def require_auth(*allowed: str) -> AuthContext:
    """The request's auth, which must be one of ``allowed`` types (default client, server, admin)."""
    auth: AuthContext | None = g.get("auth")
    allowed_types = list(allowed) if allowed else ["client", "server", "admin"]
    if auth is None:
        raise E.access_type_required()
    if auth.type not in allowed_types:
        raise E.insufficient_access_type(auth.type, allowed_types)
    return auth


def schema_error(problems: list[str]) -> E.KnownError:
    """A ``SCHEMA_ERROR`` for the current request."""
    return E.schema_error(request.method, request.path, problems)


def body_dict(*, required: bool = True) -> dict[str, Any]:
    """The parsed body, which must be an object (``{}`` if absent and not required)."""
    body = g.get("body")
    if body is None:
        if required:
            raise schema_error(["body must be defined"])
        return {}
    if not isinstance(body, dict):
        raise schema_error(["body must be a `object` type, but the final value was: `" + _js(body) + "`."])
    return body


def _js(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "[object ArrayBuffer]"
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return str(value)


class Fields:
    """Collect yup-like validation problems for one object (``body`` or ``query``)."""

    def __init__(self, prefix: str, data: dict[str, Any]) -> None:
        self.prefix = prefix
        self.data = data
        self.problems: list[str] = []

    def string(
        self, name: str, *, required: bool = False, one_of: list[str] | None = None, nullable: bool = False
    ) -> str | None:
        """A string field."""
        value = self.data.get(name, _UNSET)
        if value is _UNSET or (value is None and not nullable):
            if required:
                self.problems.append(f"{self.prefix}.{name} must be defined")
            return None
        if value is None:
            return None
        if not isinstance(value, str):
            self.problems.append(
                f"{self.prefix}.{name} must be a `string` type, but the final value was: `{_js(value)}`."
            )
            return None
        if one_of is not None and value not in one_of:
            self.problems.append(f"{self.prefix}.{name} must be one of the following values: {', '.join(one_of)}")
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        """A boolean field (``"true"``/``"false"`` strings accepted, as in query strings and forms)."""
        value = self.data.get(name, _UNSET)
        if value is _UNSET or value is None:
            return None
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return bool(value == "true")
        self.problems.append(f"{self.prefix}.{name} must be a `boolean` type, but the final value was: `{_js(value)}`.")
        return None

    def number(self, name: str, *, minimum: float | None = None, integer: bool = False) -> float | None:
        """A number field (numeric strings accepted)."""
        value = self.data.get(name, _UNSET)
        if value is _UNSET or value is None:
            return None
        num: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            num = float(value)
        elif isinstance(value, str):
            try:
                num = float(value)
            except ValueError:
                num = None
        if num is None or num != num:
            self.problems.append(
                f"{self.prefix}.{name} must be a `number` type, but the final value was: `NaN`"
                f" (cast from the value `{_js(value)}`)."
            )
            return None
        if integer and not num.is_integer():
            self.problems.append(f"{self.prefix}.{name} must be an integer")
            return None
        if minimum is not None and num < minimum:
            self.problems.append(f"{self.prefix}.{name} must be greater than or equal to {minimum:g}")
            return None
        return num

    def raw(self, name: str) -> Any:
        """A field of any JSON type, or ``None``."""
        return self.data.get(name)

    def has(self, name: str) -> bool:
        """Whether the field is present."""
        return name in self.data

    def check(self) -> None:
        """Raise ``SCHEMA_ERROR`` if any problem was collected."""
        if self.problems:
            raise schema_error(self.problems)


def query_fields() -> Fields:
    """A :class:`Fields` over the query string."""
    return Fields("query", {k: v for k, v in request.args.items()})


def body_fields(*, required: bool = True) -> Fields:
    """A :class:`Fields` over the JSON/form body."""
    return Fields("body", body_dict(required=required))


def is_uuid(value: str) -> bool:
    """Whether ``value`` is a UUID in its canonical text form, as yup's ``uuid()`` accepts."""
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except ValueError:
        return False


def check_user_id_param(user_id: str) -> None:
    """``params.user_id`` as Stack's ``userIdOrMeSchema``: ``me`` or a UUID, else ``SCHEMA_ERROR``."""
    if user_id != "me" and not is_uuid(user_id):
        raise E.schema_error(request.method, request.path, ["params.user_id must be a valid UUID"])
