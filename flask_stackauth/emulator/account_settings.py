"""Test controls for the account features: project toggles, the reset-mail delay, team seat limits.

HTTP (JSON POSTs, not counted as API calls):

- ``/_emulator/account-settings`` ``{"unknown_email_delay": 2.5, "seat_limit": 1}``: see
  :class:`AccountSettings`.

Project toggles over HTTP are ``/_emulator/project`` (:mod:`.project_controls`, every project setting).
Python: :func:`configure_project` and :func:`settings` (``settings(emu).seat_limit = 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Blueprint, Response

from .context import get_emulator, json_response
from .control_body import BadControl, guard_controls, json_body

if TYPE_CHECKING:
    from .core import Emulator

bp = Blueprint("emulator_account_controls", __name__, url_prefix="/_emulator")

#: Boolean project toggles a test may set.
PROJECT_FLAGS = (
    "sign_up_enabled",
    "credential_enabled",
    "magic_link_enabled",
    "passkey_enabled",
    "anonymous_enabled",
    "client_team_creation_enabled",
    "client_user_deletion_enabled",
    "allow_user_api_keys",
    "allow_team_api_keys",
    "create_team_on_sign_up",
    "require_publishable_client_key",
    "allow_localhost",
)
_EXT_KEY = "account_settings"


@dataclass
class AccountSettings:
    """Emulator behaviour of the account routes (dropped by :meth:`Emulator.reset`).

    :ivar unknown_email_delay: seconds ``send-reset-code`` waits for an unknown email (real: 2-3 s).
    :ivar seat_limit: members a team may have before accepting an invitation fails with
        ``ITEM_QUANTITY_INSUFFICIENT_AMOUNT`` (the ``dashboard_admins`` seats of v2.8's ``internal``
        project; 1 there). ``None`` (default) means no limit, as on every other project. Never on v2.7.
    :ivar team_seat_limits: per-team overrides of ``seat_limit``.
    """

    unknown_email_delay: float = 0.0
    seat_limit: int | None = None
    team_seat_limits: dict[str, int] = field(default_factory=dict)


def settings(emu: Emulator) -> AccountSettings:
    """The :class:`AccountSettings` of ``emu``."""
    with emu.lock:
        s = emu.data.ext.get(_EXT_KEY)
        if not isinstance(s, AccountSettings):
            s = emu.data.ext[_EXT_KEY] = AccountSettings()
        return s


def configure_project(emu: Emulator, **flags: bool) -> dict[str, bool]:
    """Set project toggles (names in :data:`PROJECT_FLAGS`); return all of them.

    :raises ValueError: for an unknown name or a non-boolean value.
    """
    for name, value in flags.items():
        if name not in PROJECT_FLAGS:
            raise ValueError(f"unknown project flag {name!r}; known: {', '.join(PROJECT_FLAGS)}")
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
    with emu.lock:
        for name, value in flags.items():
            setattr(emu.project, name, value)
        return {name: bool(getattr(emu.project, name)) for name in PROJECT_FLAGS}


guard_controls(bp)


@bp.route("/account-settings", methods=["POST"])
def account_settings() -> Response:
    """Set ``unknown_email_delay``, ``seat_limit`` and ``team_seat_limits``."""
    body = json_body()
    s = settings(get_emulator())
    if "unknown_email_delay" in body:
        delay = body["unknown_email_delay"]
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 10:
            raise BadControl("unknown_email_delay must be a number of seconds from 0 to 10")
        s.unknown_email_delay = float(delay)
    if "seat_limit" in body:
        limit = body["seat_limit"]
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise BadControl("seat_limit must be a non-negative integer or null")
        s.seat_limit = limit
    if "team_seat_limits" in body:
        limits = body["team_seat_limits"]
        if not isinstance(limits, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in limits.values()
        ):
            raise BadControl("team_seat_limits must map team ids to non-negative integers")
        s.team_seat_limits = {str(k): int(v) for k, v in limits.items()}
    return json_response({"unknown_email_delay": s.unknown_email_delay, "seat_limit": s.seat_limit,
                          "team_seat_limits": s.team_seat_limits})
