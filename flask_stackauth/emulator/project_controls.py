"""``/_emulator/project``: read or change the emulated project's configuration (a test control).

``POST /_emulator/project {"allow_user_api_keys": true, ...}`` sets any :class:`~.state.ProjectConfig`
field whose type matches (booleans, strings, lists of strings, ``null`` for the optional ones) and answers
the whole configuration, as ``GET`` does. The keys stay as they are: they are set with the emulator.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, request

from .context import get_emulator, json_response
from .control_body import BadControl, guard_controls, json_body
from .state import ProjectConfig

bp = Blueprint("emulator_project", __name__, url_prefix="/_emulator")

guard_controls(bp)

_FIXED = {"id", "publishable_client_key", "secret_server_key", "super_secret_admin_key"}


def _accepts(annotation: str, value: Any) -> bool:
    if value is None:
        return "None" in annotation
    if "bool" in annotation:
        return isinstance(value, bool)
    if annotation.startswith("list"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if annotation.startswith("str"):
        return isinstance(value, str)
    return False


def config_json(project: ProjectConfig) -> dict[str, Any]:
    """Every field of the project's configuration."""
    return dataclasses.asdict(project)


@bp.route("/project", methods=["GET", "POST"])
def project() -> Response:
    """Answer (after ``POST``: change, then answer) the project configuration."""
    emu = get_emulator()
    if request.method == "POST":
        body = json_body()
        fields = {f.name: str(f.type) for f in dataclasses.fields(ProjectConfig)}
        for name, value in body.items():
            if name not in fields or name in _FIXED:
                raise BadControl(f"unknown or fixed project setting: {name}")
            if not _accepts(fields[name], value):
                raise BadControl(f"{name} must be of type {fields[name]}")
        with emu.lock:
            for name, value in body.items():
                setattr(emu.project, name, list(value) if isinstance(value, list) else value)
    with emu.lock:
        return json_response(config_json(emu.project))
