"""The JSON bodies of the emulator's test controls (``/_emulator/...``), read one way everywhere.

A control answers a bad body with 400 ``{"error": ...}``, and refuses a browser's cross-site post (a web page open
in the developer's browser must not reset or fault the emulator). :func:`guard_controls` installs both on a
control blueprint; routes raise :class:`BadControl` (or let :func:`json_body` raise it).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from .context import json_response
from .same_origin import refuse_cross_site


class BadControl(Exception):
    """A control was called with input it cannot use; the message is the 400 answer's ``error``."""


def json_body() -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body).

    :raises BadControl: the body is not a JSON object.
    """
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise BadControl("body must be a JSON object")
    return data


def _answer(err: BadControl) -> Response:
    return json_response({"error": str(err)}, status=400)


def guard_controls(bp: Blueprint) -> None:
    """On a control blueprint: refuse cross-site posts (403), answer :class:`BadControl` with a 400."""
    bp.before_request(refuse_cross_site)
    bp.register_error_handler(BadControl, _answer)
