"""Test controls for the emulator's webhooks, under ``/_emulator/webhooks`` (not counted as API calls).

- ``GET /endpoints`` → ``{"items": [endpoint]}``; ``POST /endpoints`` ``{"url", "secret"?, "event_types"?,
  "header_style"?}`` → 201 endpoint; ``DELETE /endpoints/<id>`` → ``{"success": true}`` (404 if unknown).
- ``GET /messages?event_type=`` → ``{"items": [message]}``: every event sent since the last reset.
- ``GET /deliveries?endpoint_id=&message_id=&event_type=`` → ``{"items": [attempt]}``.
- ``GET``/``POST /settings`` ``{"retry_delays"?: [seconds], "timeout"?: seconds}`` → the settings in force.
- ``POST /wait`` ``{"timeout"?: seconds}`` → ``{"idle": bool}`` once nothing is scheduled or in flight.

This module also hands each request's events to the hub when the request ends (see :mod:`.events`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from . import events
from .context import get_emulator, json_response
from .control_body import BadControl, guard_controls, json_body

bp = Blueprint("emulator_webhooks", __name__, url_prefix="/_emulator/webhooks")


@bp.teardown_app_request
def _flush(_exc: BaseException | None) -> None:
    emu = current_app.extensions.get("stackauth_emulator")
    if emu is not None:
        events.flush(emu)


guard_controls(bp)


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadControl(f"{name} must be a string")
    return value


@bp.route("/endpoints", methods=["GET"])
def list_endpoints() -> Response:
    """The registered endpoints."""
    return json_response({"items": [ep.to_json() for ep in get_emulator().webhooks.endpoints()]})


@bp.route("/endpoints", methods=["POST"])
def add_endpoint() -> Response:
    """Register an endpoint (a fresh ``whsec_`` secret unless one is given)."""
    body = json_body()
    url = _optional_str(body, "url")
    types = body.get("event_types")
    if types is not None and not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
        raise BadControl("event_types must be a list of strings")
    try:
        endpoint = get_emulator().webhooks.add_endpoint(
            url or "", secret=_optional_str(body, "secret"), event_types=types,
            header_style=_optional_str(body, "header_style") or "svix")
    except ValueError as err:
        raise BadControl(str(err)) from None
    return json_response(endpoint.to_json(), status=201)


@bp.route("/endpoints/<endpoint_id>", methods=["DELETE"])
def remove_endpoint(endpoint_id: str) -> Response:
    """Unregister an endpoint."""
    if not get_emulator().webhooks.remove_endpoint(endpoint_id):
        return json_response({"error": "unknown endpoint"}, status=404)
    return json_response({"success": True})


@bp.route("/messages", methods=["GET"])
def messages() -> Response:
    """Events sent since the last reset, oldest first."""
    return json_response({"items": get_emulator().webhooks.messages(event_type=request.args.get("event_type"))})


@bp.route("/deliveries", methods=["GET"])
def deliveries() -> Response:
    """Delivery attempts and the receivers' answers, oldest first."""
    a = request.args
    items = get_emulator().webhooks.deliveries(endpoint_id=a.get("endpoint_id"), message_id=a.get("message_id"),
                                               event_type=a.get("event_type"))
    return json_response({"items": items})


@bp.route("/settings", methods=["GET", "POST"])
def settings() -> Response:
    """Read or change the retry schedule and the per-attempt timeout."""
    hub = get_emulator().webhooks
    if request.method == "POST":
        body = json_body()
        delays = body.get("retry_delays")
        timeout = body.get("timeout")
        if delays is not None and not (isinstance(delays, list) and all(
                isinstance(d, (int, float)) and not isinstance(d, bool) for d in delays)):
            raise BadControl("retry_delays must be a list of numbers")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
            raise BadControl("timeout must be a number")
        try:
            hub.configure(retry_delays=delays, timeout=timeout)
        except ValueError as err:
            raise BadControl(str(err)) from None
    return json_response(hub.settings())


@bp.route("/wait", methods=["POST"])
def wait() -> Response:
    """Answer once every scheduled attempt has been made (at most ``timeout`` seconds, default 10)."""
    timeout = json_body().get("timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 <= timeout <= 60:
        raise BadControl("timeout must be a number of seconds between 0 and 60")
    return json_response({"idle": get_emulator().webhooks.wait_idle(float(timeout))})
