"""Checks of account updates (``PATCH /users/me``) and the client project object, as the recordings show.

- ``selected_team_id`` must be a UUID of a team the user is a member of (``TEAM_MEMBERSHIP_NOT_FOUND``
  otherwise, also for unknown teams);
- a client may set ``profile_image_url`` only to a base64 image data URL (400 ``Invalid profile image
  URL``, text/plain); the server key may set any URL. (v2.8 uploads data URLs to its object storage and
  stores that URL; the emulator stores the data URL, as v2.7 does.)
- ``GET /projects/current``: the config keys and order of each generation (``account-result.json``).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

from . import errors as E
from .state import ProjectConfig, User
from .teams import team_membership_not_found

if TYPE_CHECKING:
    from .core import Emulator

_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_DATA_IMAGE = re.compile(r"^data:image/[a-zA-Z0-9.+-]+;base64,([A-Za-z0-9+/]+={0,2})$")


def is_base64(value: str) -> bool:
    """Standard, padded base64."""
    if len(value) % 4 or not _BASE64.match(value):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def check_selected_team(emu: Emulator, user: User, team_id: str) -> None:
    """The user must be a member of ``team_id`` (call under ``emu.lock``)."""
    team = emu.data.teams.get(team_id)
    if team is None or user.id not in team.member_ids:
        raise team_membership_not_found(team_id, user.id)


def check_client_profile_image(body: dict[str, Any]) -> None:
    """A client's ``profile_image_url`` must be a base64 image data URL (or null)."""
    value = body.get("profile_image_url")
    if isinstance(value, str):
        m = _DATA_IMAGE.match(value)
        if m is None or not is_base64(m.group(1)):
            raise E.StatusError(400, "Invalid profile image URL")


def project_json(emu: Emulator, p: ProjectConfig) -> dict[str, Any]:
    """The client project object of ``GET /projects/current``."""
    config: dict[str, Any] = {}
    if not emu.legacy_tokens:
        config["domains"] = [{"domain": d, "handler_path": p.handler_path} for d in p.trusted_domains]
    config["enabled_oauth_providers"] = [{"id": pid} for pid in p.oauth_providers]
    if not emu.legacy_tokens:
        config["allow_team_api_keys"] = p.allow_team_api_keys
        config["allow_user_api_keys"] = p.allow_user_api_keys
    config.update({
        "client_user_deletion_enabled": p.client_user_deletion_enabled,
        "client_team_creation_enabled": p.client_team_creation_enabled,
        "passkey_enabled": p.passkey_enabled,
        "magic_link_enabled": p.magic_link_enabled,
        "credential_enabled": p.credential_enabled,
        "sign_up_enabled": p.sign_up_enabled,
    })
    return {"config": config, "display_name": p.display_name, "id": p.id}
