"""``flask stackauth check`` on an app with API-key views: keys off, v2.7, no secret server key."""

from __future__ import annotations

from typing import Any

from tests.backend.conftest import make_backend_app


def _check(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["stackauth", "check"])


def test_check_reports_api_keys(stackauth_config: dict[str, Any], emu: Any) -> None:
    off = _check(make_backend_app(stackauth_config))
    assert off.exit_code == 1
    assert "checks team and user API keys, but they are turned off" in off.output
    emu.project.allow_user_api_keys = emu.project.allow_team_api_keys = True
    on = _check(make_backend_app(stackauth_config))
    assert on.exit_code == 0, on.output
    assert "team and user API keys are enabled for the 4 view(s)" in on.output
    emu.set_legacy_tokens(True)
    try:
        old = _check(make_backend_app(stackauth_config))
    finally:
        emu.set_legacy_tokens(False)
    assert old.exit_code == 1 and "v2.8" in old.output
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_SECRET_SERVER_KEY"}
    keyless = _check(make_backend_app(config))
    assert keyless.exit_code == 1 and "STACK_SECRET_SERVER_KEY" in keyless.output
