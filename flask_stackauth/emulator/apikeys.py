"""User and team API keys (Stack's ``user-api-keys`` / ``team-api-keys`` routes, v2.8; absent on v2.7).

As recorded in ``apikeys-result.json`` and read from ``apps/backend/src/app/api/latest/(api-keys)/handlers.tsx``:

- a project with the kind of key turned off answers a plain-text 400 ("User API keys are not enabled for
  this project."), even for a valid key; legacy (v2.7) mode has no such routes: plain 404;
- keys are ``sk_``/``pk_`` + 45 random ``[a-z0-9]`` + the key id without dashes + ``user``/``team`` + a scanner
  flag + ``574ck4u7h`` + the CRC-32 of all that in hex: 102 characters. Only a hash of the key is kept;
- creation answers 200 with the whole ``value`` once; reads show ``value: {"last_four"}``;
- ``check`` (server key only): unknown, malformed or wrong-checksum keys are ``API_KEY_NOT_FOUND`` (404), a key
  of the other kind ``WRONG_API_KEY_TYPE`` (400), then ``API_KEY_REVOKED`` / ``API_KEY_EXPIRED`` (401);
- a client manages its own user keys (else 403 text) and a team's keys only with ``$manage_api_keys`` in it
  (else ``API_KEY_NOT_FOUND``, hiding whether the team exists); revoking is ``PATCH {"revoked": true}`` and
  keeps the first revocation time; ``DELETE`` is 405.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

from flask import Response, request

from . import errors as E
from .auth import resolve_user_id
from .context import AuthContext, Fields, api_blueprint, body_dict, get_emulator, is_uuid, json_response, require_auth
from .core import Emulator
from .serialize import millis
from .state import REFRESH_TOKEN_ALPHABET, new_id

bp = api_blueprint("stack_api_keys", __name__)

EXT_KEY = "api_keys"
MARKER = "574ck4u7h"
_BASE32 = "0123456789abcdefghjkmnpqrstvwxyz"
_KINDS = ("user", "team")


@dataclass
class ApiKeyRecord:
    """A stored API key (its secret only as a SHA-256 hash)."""

    id: str
    type: str
    owner_id: str
    description: str
    is_public: bool
    created_at: float
    expires_at: float | None
    secret_hash: str
    last_four: str
    revoked_at: float | None = None


@dataclass
class _Store:
    by_id: dict[str, ApiKeyRecord]
    by_hash: dict[str, str]


def _store(emu: Emulator) -> _Store:
    store = emu.data.ext.get(EXT_KEY)
    if not isinstance(store, _Store):
        store = emu.data.ext[EXT_KEY] = _Store({}, {})
    return store


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def make_key(key_id: str, kind: str, is_public: bool) -> str:
    """A key in Stack's format (``createProjectApiKey``; the scanner flag says "self-hosted")."""
    prefix = "pk" if is_public else "sk"
    secret = "".join(secrets.choice(REFRESH_TOKEN_ALPHABET) for _ in range(45))
    flag = _BASE32[1 + (2 if is_public else 0)]
    body = f"{prefix}_{secret}{key_id.replace('-', '')}{kind}{flag}{MARKER}"
    return body + format(zlib.crc32(body.encode()), "08x")


# --- JSON --------------------------------------------------------------------------------------


def _owner_field(kind: str) -> str:
    return "user_id" if kind == "user" else "team_id"


def key_json(key: ApiKeyRecord, *, value: str | None = None) -> dict[str, Any]:
    """A key as the real server orders it; ``value`` only in the creation answer."""
    out: dict[str, Any] = {_owner_field(key.type): key.owner_id, "type": key.type}
    if value is None:
        out["value"] = {"last_four": key.last_four}
    out["is_public"] = key.is_public
    out["created_at_millis"] = millis(key.created_at)
    if key.expires_at is not None:
        out["expires_at_millis"] = millis(key.expires_at)
    if key.revoked_at is not None:
        out["manually_revoked_at_millis"] = millis(key.revoked_at)
    out["description"] = key.description
    out["id"] = key.id
    if value is not None:
        out["value"] = value
    return out


# --- checks ------------------------------------------------------------------------------------


def _legacy_not_found() -> Response:
    return Response(E.NOT_FOUND_TEXT.format(url=request.url), status=404, content_type=E.TEXT_CONTENT_TYPE)


def _enabled(emu: Emulator, kind: str) -> None:
    project = emu.project
    if not (project.allow_user_api_keys if kind == "user" else project.allow_team_api_keys):
        raise E.StatusError(400, f"{kind.capitalize()} API keys are not enabled for this project.")


def api_key_not_found() -> E.KnownError:
    """``API_KEY_NOT_FOUND`` (404)."""
    return E.KnownError(404, "API_KEY_NOT_FOUND", "API key not found.")


def _wrong_type(expected: str, actual: str) -> E.KnownError:
    return E.KnownError(400, "WRONG_API_KEY_TYPE",
                        f"This endpoint is for {expected} API keys, but a {actual} API key was provided.",
                        {"expected_type": expected, "actual_type": actual})


def _ensure_can_manage(emu: Emulator, auth: AuthContext, kind: str, owner_id: str) -> None:
    """``ensureUserCanManageApiKeys``: clients only for themselves, or teams where they hold the permission."""
    if auth.type != "client":
        return
    if auth.user is None:
        raise E.user_authentication_required()
    if kind == "user":
        if owner_id != auth.user.id:
            raise E.StatusError(403, "Client can only manage their own api keys")
        return
    from .teams import team_permission_ids

    with emu.lock:
        team = emu.data.teams.get(owner_id)
        member = team is not None and auth.user.id in team.member_ids
    if not member or "$manage_api_keys" not in team_permission_ids(emu, owner_id, auth.user.id):
        raise api_key_not_found()


def _owner_exists(emu: Emulator, kind: str, owner_id: str) -> None:
    with emu.lock:
        if kind == "user" and owner_id not in emu.data.users:
            raise E.user_not_found()
        if kind == "team" and owner_id not in emu.data.teams:
            raise E.KnownError(404, "TEAM_NOT_FOUND", f"Team {owner_id} not found.", {"team_id": owner_id})


def _owner_param(auth: AuthContext, kind: str, raw: str | None) -> str:
    """The owner named by ``user_id`` (``me`` resolved) or ``team_id``."""
    assert raw is not None
    return resolve_user_id(auth, raw) if kind == "user" else raw


# --- routes ------------------------------------------------------------------------------------


def _create(kind: str) -> Response:
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    body = body_dict()
    owner_field = _owner_field(kind)
    f = Fields("body", body)
    description = f.string("description", required=True)
    if "expires_at_millis" not in body:
        f.problems.append("body.expires_at_millis must be defined")
    expires = f.number("expires_at_millis")
    is_public = f.boolean("is_public")
    owner_raw = f.string(owner_field, required=True)
    if owner_raw is not None and not (owner_raw == "me" and kind == "user") and not is_uuid(owner_raw):
        f.problems.append(f"body.{owner_field} must be a valid UUID")
    unknown = [k for k in body if k not in ("description", "expires_at_millis", "is_public", owner_field)]
    if unknown:
        f.problems.append(f"body contains unknown properties: {', '.join(unknown)}")
    f.check()
    _enabled(emu, kind)
    owner = _owner_param(auth, kind, owner_raw)
    _ensure_can_manage(emu, auth, kind, owner)
    _owner_exists(emu, kind, owner)
    key_id = new_id()
    value = make_key(key_id, kind, bool(is_public))
    record = ApiKeyRecord(
        id=key_id, type=kind, owner_id=owner, description=str(description), is_public=bool(is_public),
        created_at=emu.now(), expires_at=expires / 1000 if expires else None, secret_hash=_hash(value),
        last_four=value[-4:])
    with emu.lock:
        store = _store(emu)
        store.by_id[key_id] = record
        store.by_hash[record.secret_hash] = key_id
    return json_response(key_json(record, value=value))


def _list(kind: str) -> Response:
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    owner_field = _owner_field(kind)
    f = Fields("query", dict(request.args.items()))
    owner_raw = f.string(owner_field, required=kind == "team")
    if owner_raw is not None and not (owner_raw == "me" and kind == "user") and not is_uuid(owner_raw):
        f.problems.append(f"query.{owner_field} must be a valid UUID")
    f.check()
    _enabled(emu, kind)
    if owner_raw is None:
        # parseTypeAndParams: a SchemaError with a bare message, for every access type.
        message = f"{owner_field} is required for {kind} API keys"
        raise E.KnownError(400, "SCHEMA_ERROR", message, {"message": message})
    owner = _owner_param(auth, kind, owner_raw)
    _ensure_can_manage(emu, auth, kind, owner)
    with emu.lock:
        keys = [k for k in _store(emu).by_id.values() if k.type == kind and k.owner_id == owner]
    keys.sort(key=lambda k: k.created_at, reverse=True)
    return json_response({"is_paginated": False, "items": [key_json(k) for k in keys]})


def _existing(emu: Emulator, auth: AuthContext, kind: str, key_id: str) -> ApiKeyRecord:
    if not is_uuid(key_id):
        raise E.schema_error(request.method, request.path, ["params.api_key_id must be a valid UUID"])
    _enabled(emu, kind)
    with emu.lock:
        key = _store(emu).by_id.get(key_id)
    if key is None or key.type != kind:
        raise api_key_not_found()
    _ensure_can_manage(emu, auth, kind, key.owner_id)
    return key


def _read(kind: str, key_id: str) -> Response:
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    if "user_id" in request.args and request.args["user_id"] == "me":
        resolve_user_id(auth, "me")
    return json_response(key_json(_existing(emu, auth, kind, key_id)))


def _update(kind: str, key_id: str) -> Response:
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    body = body_dict()
    f = Fields("body", body)
    description = f.string("description")
    revoked = f.boolean("revoked")
    if revoked is False:
        f.problems.append("body.revoked must be one of the following values: true")
    unknown = [k for k in body if k not in ("description", "revoked")]
    if unknown:
        f.problems.append(f"body contains unknown properties: {', '.join(unknown)}")
    f.check()
    key = _existing(emu, auth, kind, key_id)
    with emu.lock:
        if description is not None:
            key.description = description
        if revoked and key.revoked_at is None:
            key.revoked_at = emu.now()
    return json_response(key_json(key))


def _check(kind: str) -> Response:
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    require_auth("server", "admin")
    f = Fields("body", body_dict())
    value = f.string("api_key", required=True)
    f.check()
    _enabled(emu, kind)
    with emu.lock:
        key_id = _store(emu).by_hash.get(_hash(str(value)))
        key = _store(emu).by_id.get(key_id) if key_id else None
    if key is None:
        raise api_key_not_found()
    if key.type != kind:
        raise _wrong_type(kind, key.type)
    if key.revoked_at is not None:
        raise E.KnownError(401, "API_KEY_REVOKED", "API key has been revoked.")
    if key.expires_at is not None and key.expires_at < emu.now():
        raise E.KnownError(401, "API_KEY_EXPIRED", "API key has expired.")
    return json_response(key_json(key))


def _method_not_allowed() -> Response:
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    return Response("", status=405)


def _register(kind: str) -> None:
    base = f"/{kind}-api-keys"
    bp.add_url_rule(base, f"create_{kind}", lambda: _create(kind), methods=["POST"])
    bp.add_url_rule(base, f"list_{kind}", lambda: _list(kind), methods=["GET"])
    bp.add_url_rule(f"{base}/check", f"check_{kind}", lambda: _check(kind), methods=["POST"])
    bp.add_url_rule(f"{base}/<key_id>", f"read_{kind}", lambda key_id: _read(kind, key_id), methods=["GET"])
    bp.add_url_rule(f"{base}/<key_id>", f"update_{kind}", lambda key_id: _update(kind, key_id), methods=["PATCH"])
    bp.add_url_rule(f"{base}/<key_id>", f"delete_{kind}", lambda key_id: _method_not_allowed(), methods=["DELETE"])


for _kind in _KINDS:
    _register(_kind)
