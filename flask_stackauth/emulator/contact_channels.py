"""Contact channels and email verification (Stack's ``contact-channels`` routes and their code handler).

A user's primary email stays where the rest of the emulator reads it (``User.primary_email``,
``primary_email_verified``, ``primary_email_auth_enabled``); this module gives it a stable channel id
and keeps every other channel of the user in ``emu.data.ext`` (so :meth:`Emulator.reset` drops them).
Making another channel primary swaps the two, as Stack's ``isPrimary`` flag does.

Answers follow the v2.7.16 and v2.8.86 recordings (``verification-result.json``): plain-text 400/403/404
where Stack throws a ``StatusError``, the known errors elsewhere. Mails land in ``emu.emails`` with
``type: "email_verification"``, ``code`` and ``link`` (``callback_url`` plus ``code=<45 chars>``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Response

from . import errors as E
from .context import (
    AuthContext,
    Fields,
    api_blueprint,
    body_dict,
    get_emulator,
    is_uuid,
    json_response,
    query_fields,
    require_auth,
    schema_error,
)
from .redirects import add_query, is_valid_url, validate_redirect_url
from .state import User, new_id
from .verification import check_code_field, create_code, find_code, mark_used

if TYPE_CHECKING:
    from .core import Emulator

bp = api_blueprint("stack_contact_channels", __name__)

KIND = "contact_channel_verification"
_EXT_KEY = "contact_channels"
MAX_EMAIL_LENGTH = 256
# Stack's ``strictEmailSchema``: yup's email check plus this pattern.
_STRICT_EMAIL = re.compile(r"^[^.]+(\.[^.]+)*@.*\.[^.][^.]+$")
_BASIC_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")


def is_valid_email(value: str) -> bool:
    """Whether ``value`` passes Stack's email schema."""
    return len(value) <= MAX_EMAIL_LENGTH and bool(_BASIC_EMAIL.match(value)) and bool(_STRICT_EMAIL.match(value))


def check_email_field(f: Fields, name: str, *, required: bool = True) -> str | None:
    """A string field that must be a valid email."""
    value = f.string(name, required=required)
    if value is not None and not is_valid_email(value):
        f.problems.append(f"{f.prefix}.{name} must be a valid email")
        return None
    return value


def check_url_field(f: Fields, name: str, *, required: bool = True) -> str | None:
    """A string field that must be an absolute URL (Stack's ``urlSchema``)."""
    value = f.string(name, required=required)
    if value is None:
        return None
    if " " in value:
        f.problems.append(f"{f.prefix}.{name} contains spaces")
        return None
    if not is_valid_url(value):
        f.problems.append(f"{f.prefix}.{name} is not a valid URL")
        return None
    return value


@dataclass
class Channel:
    """One contact channel (for the primary one, a snapshot of the user's fields)."""

    id: str
    user_id: str
    value: str
    created_at: float
    is_verified: bool = False
    used_for_auth: bool = False
    is_primary: bool = False


@dataclass
class ChannelStore:
    """Non-primary channels by id, and the id and creation time of each user's primary channel."""

    others: dict[str, Channel] = field(default_factory=dict)
    primary: dict[str, tuple[str, float, str]] = field(default_factory=dict)


def _store(emu: Emulator) -> ChannelStore:
    store = emu.data.ext.get(_EXT_KEY)
    if not isinstance(store, ChannelStore):
        store = emu.data.ext[_EXT_KEY] = ChannelStore()
    return store


def _primary(emu: Emulator, store: ChannelStore, user: User) -> Channel | None:
    """The user's primary channel, built from the user's fields (call under ``emu.lock``)."""
    if not user.primary_email:
        store.primary.pop(user.id, None)
        return None
    known = store.primary.get(user.id)
    if known is None:
        known = store.primary[user.id] = (new_id(), user.signed_up_at, user.primary_email)
    return Channel(id=known[0], user_id=user.id, value=user.primary_email, created_at=known[1],
                   is_verified=user.primary_email_verified, used_for_auth=user.primary_email_auth_enabled,
                   is_primary=True)


def channels_of(emu: Emulator, user: User) -> list[Channel]:
    """Every channel of ``user`` in creation order, as Stack lists them."""
    with emu.lock:
        store = _store(emu)
        items = [c for c in store.others.values() if c.user_id == user.id]
        primary = _primary(emu, store, user)
        if primary is not None:
            items.append(primary)
    return sorted(items, key=lambda c: (c.created_at, c.id))


def channel_json(c: Channel) -> dict[str, Any]:
    """A channel as the API shows it (key order of the recordings)."""
    return {"user_id": c.user_id, "id": c.id, "type": "email", "value": c.value, "is_primary": c.is_primary,
            "is_verified": c.is_verified, "used_for_auth": c.used_for_auth}


def find_auth_user(emu: Emulator, email: str) -> User | None:
    """The user that signs in with ``email`` (primary or other channel used for auth)."""
    user = emu.find_user_by_email(email, auth_only=True)
    if user is not None:
        return user
    with emu.lock:
        for c in _store(emu).others.values():
            if c.used_for_auth and c.value == email:
                return emu.data.users.get(c.user_id)
    return None


def verified_emails(emu: Emulator, user: User) -> set[str]:
    """The user's verified email addresses."""
    return {c.value for c in channels_of(emu, user) if c.is_verified}


def _used_for_auth_by_other(emu: Emulator, user_id: str, value: str) -> bool:
    other = find_auth_user(emu, value)
    return other is not None and other.id != user_id


def _already_used_for_auth(emu: Emulator, value: str | None) -> E.KnownError:
    if emu.legacy_tokens:
        return E.KnownError(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
                            "This email is already used for authentication by another account.", {"type": "email"})
    shown = f'"({value})"' if value else ""
    return E.KnownError(409, "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",
                        f"This email {shown} is already used for authentication by another account.",
                        {"type": "email", "contact_channel_value": value, "would_work_if_email_was_verified": False})


def _set_primary_fields(user: User, c: Channel | None) -> None:
    user.primary_email = c.value if c else None
    user.primary_email_verified = bool(c and c.is_verified)
    user.primary_email_auth_enabled = bool(c and c.used_for_auth)


def _make_primary(emu: Emulator, store: ChannelStore, user: User, c: Channel) -> None:
    """Swap ``c`` (a non-primary channel) with the user's primary one."""
    old = _primary(emu, store, user)
    if old is not None:
        old.is_primary = False
        store.others[old.id] = old
    store.others.pop(c.id, None)
    store.primary[user.id] = (c.id, c.created_at, c.value)
    _set_primary_fields(user, c)


def _demote(emu: Emulator, store: ChannelStore, user: User) -> None:
    old = _primary(emu, store, user)
    if old is not None:
        old.is_primary = False
        store.others[old.id] = old
        store.primary.pop(user.id, None)
        _set_primary_fields(user, None)


def _find(emu: Emulator, user: User, channel_id: str) -> Channel | None:
    for c in channels_of(emu, user):
        if c.id == channel_id:
            return c
    return None


def _write(emu: Emulator, user: User, c: Channel) -> None:
    """Store changed fields of ``c`` back where they live."""
    store = _store(emu)
    if c.is_primary:
        _set_primary_fields(user, c)
    else:
        store.others[c.id] = c


def create_channel(emu: Emulator, user: User, value: str, *, used_for_auth: bool, is_primary: bool = False,
                   is_verified: bool = False) -> Channel:
    """Add a channel to ``user`` with Stack's checks (duplicate: 400 text; auth clash: 409)."""
    with emu.lock:
        if any(c.value == value for c in channels_of(emu, user)):
            raise E.StatusError(400, "Contact channel already exists")
        if used_for_auth and _used_for_auth_by_other(emu, user.id, value):
            raise _already_used_for_auth(emu, value)
        c = Channel(id=new_id(), user_id=user.id, value=value, created_at=emu.now(), is_verified=is_verified,
                    used_for_auth=used_for_auth)
        store = _store(emu)
        store.others[c.id] = c
        if is_primary:
            _make_primary(emu, store, user, c)
            c.is_primary = True
        return c


# --- verification mails ------------------------------------------------------------------------


def send_verification_mail(emu: Emulator, user: User, email: str, callback_url: str) -> None:
    """Mail a verification link for ``email`` (the link is ``callback_url`` plus ``code``)."""
    vc = create_code(emu, KIND, data={"user_id": user.id, "email": email}, callback_url=callback_url)
    link = add_query(callback_url, [("code", vc.code)])
    with emu.lock:
        emu.data.emails.append({
            "to": email,
            "subject": f"Verify your email at {emu.project.display_name}",
            "body": f"Verify your email: {link}",
            "code": vc.code,
            "link": link,
            "type": "email_verification",
            "user_id": user.id,
        })


# --- request helpers ---------------------------------------------------------------------------


def _check_path(user_id: str, channel_id: str | None = None) -> None:
    problems = []
    if user_id != "me" and not is_uuid(user_id):
        problems.append("params.user_id must be a valid UUID")
    if channel_id is not None and not is_uuid(channel_id):
        problems.append("params.contact_channel_id must be a valid UUID")
    if problems:
        raise schema_error(problems)


def _resolve(auth: AuthContext, user_id: str | None) -> str | None:
    if user_id == "me":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        return auth.user.id
    return user_id


def _client_only_own(auth: AuthContext, user_id: str | None, verb: str) -> None:
    if auth.type == "client":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        if user_id != auth.user.id:
            raise E.StatusError(403, f"Client can only {verb} contact channels for their own user.")


def _user(emu: Emulator, user_id: str) -> User | None:
    with emu.lock:
        return emu.data.users.get(user_id)


def _check_unknown(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise schema_error([f"body contains unknown properties: {', '.join(unknown)}"])


# --- routes ------------------------------------------------------------------------------------


@bp.route("/contact-channels", methods=["GET"])
def list_channels() -> Response:
    """A user's channels; a client only its own; the server key without ``user_id`` gets all."""
    emu = get_emulator()
    auth = require_auth()
    q = query_fields()
    raw = q.string("user_id")
    if raw is not None and raw != "me" and not is_uuid(raw):
        q.problems.append("query.user_id must be a valid UUID")
    q.check()
    uid = _resolve(auth, raw)
    _client_only_own(auth, uid, "list")
    with emu.lock:
        users = [u for u in emu.data.users.values() if uid is None or u.id == uid]
        items = [channel_json(c) for u in users for c in channels_of(emu, u)]
    return json_response({"items": items, "is_paginated": False})


@bp.route("/contact-channels", methods=["POST"])
def create() -> Response:
    """Add a channel (201)."""
    emu = get_emulator()
    auth = require_auth()
    body = body_dict()
    allowed = ("user_id", "value", "type", "used_for_auth", "is_primary")
    _check_unknown(body, allowed if auth.type == "client" else (*allowed, "is_verified"))
    f = Fields("body", body)
    raw_uid = f.string("user_id", required=True)
    if raw_uid is not None and raw_uid != "me" and not is_uuid(raw_uid):
        f.problems.append("body.user_id must be a valid UUID")
    kind = f.string("type", required=True, one_of=["email"])
    # The value is checked as an email only once the type says so (a phone number: one problem only).
    value = check_email_field(f, "value") if kind == "email" else f.string("value", required=True)
    used_for_auth = f.boolean("used_for_auth")
    if used_for_auth is None and "used_for_auth" not in body:
        f.problems.append("body.used_for_auth must be defined")
    is_primary = f.boolean("is_primary")
    is_verified = f.boolean("is_verified")
    f.check()
    assert value is not None
    uid = _resolve(auth, raw_uid)
    if auth.type == "client":
        assert auth.user is not None
        if uid != auth.user.id:
            raise E.StatusError(403, "Client can only create contact channels for their own user.")
    user = _user(emu, str(uid))
    if user is None:
        # Real servers answer 500 here (a foreign-key failure); a 4xx is what a client can act on.
        raise E.user_id_does_not_exist(str(uid))
    c = create_channel(emu, user, value, used_for_auth=bool(used_for_auth), is_primary=bool(is_primary),
                       is_verified=bool(is_verified))
    return json_response(channel_json(c), status=201)


@bp.route("/contact-channels/<user_id>/<channel_id>", methods=["GET"])
def read(user_id: str, channel_id: str) -> Response:
    """One channel."""
    emu = get_emulator()
    _check_path(user_id, channel_id)
    auth = require_auth()
    uid = _resolve(auth, user_id)
    _client_only_own(auth, uid, "read")
    user = _user(emu, str(uid))
    c = _find(emu, user, channel_id) if user is not None else None
    if c is None:
        raise E.StatusError(404, "Contact channel not found.")
    return json_response(channel_json(c))


@bp.route("/contact-channels/<user_id>/<channel_id>", methods=["PATCH"])
def update(user_id: str, channel_id: str) -> Response:
    """Change value, ``used_for_auth``, ``is_primary`` (and ``is_verified`` with the server key)."""
    emu = get_emulator()
    _check_path(user_id, channel_id)
    auth = require_auth()
    body = body_dict()
    allowed = ("value", "type", "used_for_auth", "is_primary")
    _check_unknown(body, allowed if auth.type == "client" else (*allowed, "is_verified"))
    f = Fields("body", body)
    value = check_email_field(f, "value", required=False)
    f.string("type", one_of=["email"])
    used_for_auth = f.boolean("used_for_auth")
    is_primary = f.boolean("is_primary")
    is_verified = f.boolean("is_verified")
    f.check()
    uid = _resolve(auth, user_id)
    if auth.type == "client":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        if uid != auth.user.id:
            raise E.StatusError(403, "Client can only update contact channels for their own user.")
    with emu.lock:
        user = _user(emu, str(uid))
        c = _find(emu, user, channel_id) if user is not None else None
        if user is None or c is None:
            raise E.StatusError(400, "Contact channel not found")
        new_value = value if value is not None else c.value
        if (used_for_auth or (used_for_auth is None and c.used_for_auth and value is not None)) \
                and _used_for_auth_by_other(emu, user.id, new_value):
            raise _already_used_for_auth(emu, None)
        if value is not None and value != c.value:
            if any(o.value == value for o in channels_of(emu, user) if o.id != c.id):
                raise E.StatusError(400, "Contact channel already exists")
            c.value = value
            c.is_verified = False
        if is_verified is not None:
            c.is_verified = is_verified
        if used_for_auth is not None:
            c.used_for_auth = used_for_auth
        _write(emu, user, c)
        store = _store(emu)
        if is_primary and not c.is_primary:
            _make_primary(emu, store, user, c)
            c.is_primary = True
        elif is_primary is False and c.is_primary:
            _demote(emu, store, user)
            c.is_primary = False
    return json_response(channel_json(c))


@bp.route("/contact-channels/<user_id>/<channel_id>", methods=["DELETE"])
def delete(user_id: str, channel_id: str) -> Response:
    """Remove a channel (the primary one takes the user's primary email with it)."""
    emu = get_emulator()
    _check_path(user_id, channel_id)
    auth = require_auth()
    uid = _resolve(auth, user_id)
    _client_only_own(auth, uid, "delete")
    with emu.lock:
        user = _user(emu, str(uid))
        c = _find(emu, user, channel_id) if user is not None else None
        if user is None or c is None:
            raise E.StatusError(400, "Contact channel not found")
        store = _store(emu)
        if c.is_primary:
            store.primary.pop(user.id, None)
            _set_primary_fields(user, None)
        else:
            store.others.pop(c.id, None)
    return json_response({"success": True})


def _callback_from_body() -> str:
    f = Fields("body", body_dict())
    callback_url = check_url_field(f, "callback_url")
    f.check()
    assert callback_url is not None
    return callback_url


@bp.route("/contact-channels/<user_id>/<channel_id>/send-verification-code", methods=["POST"])
def send_code(user_id: str, channel_id: str) -> Response:
    """Mail a verification link for one channel."""
    emu = get_emulator()
    _check_path(user_id, channel_id)
    auth = require_auth()
    callback_url = _callback_from_body()
    if auth.type == "client":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        if _resolve(auth, user_id) != auth.user.id:
            raise E.StatusError(400, "Can only send verification code for your own user")
        user: User | None = auth.user
    else:
        uid = _resolve(auth, user_id)
        user = _user(emu, str(uid))
        if user is None:
            raise E.user_id_does_not_exist(str(uid))
    assert user is not None
    c = _find(emu, user, channel_id)
    if c is None:
        raise E.StatusError(404, "Contact channel not found")
    if c.is_verified:
        raise email_already_verified()
    if not validate_redirect_url(callback_url, auth.project):
        raise E.redirect_url_not_whitelisted()
    send_verification_mail(emu, user, c.value, callback_url)
    return json_response({"success": True})


@bp.route("/contact-channels/send-verification-code", methods=["POST"])
def send_code_deprecated() -> Response:
    """The older route: mail a verification link for the signed-in user's primary email."""
    emu = get_emulator()
    auth = require_auth()
    f = Fields("body", body_dict())
    email = check_email_field(f, "email")
    callback_url = check_url_field(f, "callback_url")
    if auth.user is None:
        f.problems.insert(0, "auth.user must be defined")
    f.check()
    assert auth.user is not None and email is not None and callback_url is not None
    user = auth.user
    if user.primary_email != email:
        raise E.KnownError(400, "EMAIL_IS_NOT_PRIMARY_EMAIL",
                           f"The given e-mail ({email}) must equal the user's primary e-mail ({user.primary_email}).",
                           {"email": email, "primary_email": user.primary_email})
    if user.primary_email_verified:
        raise email_already_verified()
    if not validate_redirect_url(callback_url, auth.project):
        raise E.redirect_url_not_whitelisted()
    send_verification_mail(emu, user, email, callback_url)
    return json_response({"success": True})


def _code_from_body() -> str:
    problems: list[str] = []
    raw = check_code_field(body_dict(), problems)
    if problems or raw is None:
        raise schema_error(problems)
    return raw


@bp.route("/contact-channels/verify/check-code", methods=["POST"])
def check_code() -> Response:
    """Whether a verification code is usable, without using it."""
    emu = get_emulator()
    require_auth()
    find_code(emu, KIND, _code_from_body())
    return json_response({"is_code_valid": True})


@bp.route("/contact-channels/verify", methods=["POST"])
def verify() -> Response:
    """Spend a verification code: the channel it was sent for becomes verified (no session needed)."""
    emu = get_emulator()
    require_auth()
    vc = find_code(emu, KIND, _code_from_body())
    mark_used(emu, vc)
    with emu.lock:
        user = emu.data.users.get(str(vc.data["user_id"]))
        c = None
        if user is not None:
            c = next((x for x in channels_of(emu, user) if x.value == vc.data["email"]), None)
        if user is None or c is None:
            # v2.7.16 answers 500 here; v2.8.86 this 400.
            raise E.StatusError(400, "Contact channel not found. Was your contact channel deleted?")
        c.is_verified = True
        _write(emu, user, c)
    return json_response({"success": True})


def email_already_verified() -> E.KnownError:
    """``EMAIL_ALREADY_VERIFIED`` (409)."""
    return E.KnownError(409, "EMAIL_ALREADY_VERIFIED", "The e-mail is already verified.")
