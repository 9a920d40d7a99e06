"""Test-control endpoints under ``/_emulator/`` (JSON POSTs; not counted as API calls)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from .context import get_emulator, json_response
from .control_body import BadControl, guard_controls, json_body
from .mailbox import outbox

bp = Blueprint("emulator_controls", __name__, url_prefix="/_emulator")


guard_controls(bp)


def _number(body: dict[str, Any], name: str) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadControl(f"{name} must be a number")
    return float(value)


@bp.route("/reset", methods=["POST"])
def reset() -> Response:
    """Back to the seeded state."""
    get_emulator().reset()
    return json_response({"success": True})


@bp.route("/clock", methods=["POST"])
def clock() -> Response:
    """Advance the clock by ``{"advance": seconds}``; answer the new ``now``."""
    emu = get_emulator()
    body = json_body()
    if "advance" in body:
        emu.advance_clock(_number(body, "advance"))
    return json_response({"now": emu.now(), "offset": emu.clock_offset})


@bp.route("/access-token-lifetime", methods=["POST"])
def lifetime() -> Response:
    """Set ``{"seconds": n}`` as the access-token lifetime."""
    emu = get_emulator()
    emu.set_access_token_lifetime(int(_number(json_body(), "seconds")))
    return json_response({"seconds": emu.access_token_lifetime})


@bp.route("/revoke-refresh-token", methods=["POST"])
def revoke() -> Response:
    """Revoke ``{"refresh_token": ...}``."""
    token = json_body().get("refresh_token")
    if not isinstance(token, str):
        raise BadControl("refresh_token must be a string")
    return json_response({"revoked": get_emulator().revoke_refresh_token(token)})


@bp.route("/rotate-keys", methods=["POST"])
def rotate() -> Response:
    """Sign with a new key from now on."""
    return json_response({"kid": get_emulator().rotate_keys()})


@bp.route("/legacy-tokens", methods=["POST"])
def legacy() -> Response:
    """Switch ``{"enabled": bool}`` legacy (v2.7) behaviour."""
    flag = json_body().get("enabled")
    if not isinstance(flag, bool):
        raise BadControl("enabled must be a boolean")
    get_emulator().set_legacy_tokens(flag)
    return json_response({"enabled": flag})


@bp.route("/faults", methods=["POST"])
def faults() -> Response:
    """Inject failures: ``{"n": 1, "path": "/api/v1/...", "mode": "500", "delay": 5}``."""
    body = json_body()
    n = int(_number(body, "n")) if "n" in body else 1
    path = body.get("path")
    mode = body.get("mode", "500")
    delay = _number(body, "delay") if "delay" in body else 5.0
    if path is not None and not isinstance(path, str):
        raise BadControl("path must be a string")
    try:
        get_emulator().fail_next(n, path=path, mode=str(mode), delay=delay)
    except ValueError as err:
        raise BadControl(str(err)) from None
    return json_response({"success": True})


@bp.route("/users", methods=["POST"])
def users() -> Response:
    """Create a user: ``{"email", "password"?, "display_name"?, "email_verified"?, "anonymous"?}``."""
    body = json_body()
    user = get_emulator().create_user(
        body.get("email"),
        password=body.get("password"),
        display_name=body.get("display_name"),
        email_verified=bool(body.get("email_verified", True)),
        anonymous=bool(body.get("anonymous", False)),
    )
    return json_response(user, status=201)


@bp.route("/sessions", methods=["POST"])
def sessions() -> Response:
    """Create a session for ``{"user_id"}``."""
    user_id = json_body().get("user_id")
    try:
        return json_response(get_emulator().create_session(str(user_id)))
    except KeyError:
        raise BadControl("unknown user_id") from None


@bp.route("/calls", methods=["GET"])
def calls() -> Response:
    """Counted API calls: ``?method=&path=`` filter the count; ``log`` lists them all."""
    emu = get_emulator()
    method = request.args.get("method")
    path = request.args.get("path")
    return json_response({"count": emu.calls(method, path), "log": [list(c) for c in emu.call_log]})


@bp.route("/emails", methods=["GET"])
def emails() -> Response:
    """Emails the emulator sent: ``link_code`` is the code in the link, ``otp`` the one a user types."""
    return json_response({"items": outbox(get_emulator())})
