"""Issue 11 item 1: every URL handed to Stack Auth is built from STACK_APP_URL / STACK_REDIRECT_URI, never Host."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests
from flask import Flask

from flask_stackauth import StackAuth, StackAuthConfigError
from tests.conftest import make_app
from tests.helpers import query_of
from tests.signin.signin_support import csrf

PREVIEW = "https://*.preview.example.com"
APP = "https://app.preview.example.com"
FORGED = "https://attacker.preview.example.com"


@pytest.fixture
def wildcard_project(emu: Any) -> None:
    """A project whose trusted domains are a wildcard preview domain (and no "allow all localhost")."""
    emu.project.trusted_domains = [PREVIEW]
    emu.project.allow_localhost = False


def _outbox(server: Any) -> list[dict[str, Any]]:
    return list(requests.get(f"{server.url}/_emulator/emails", timeout=10).json()["items"])


def _send_code_with_forged_host(client: Any, email: str) -> Any:
    token = csrf(client, base_url=FORGED)
    return client.post("/auth/otp/send", data={"csrf_token": token, "otp_email": email}, base_url=FORGED)


@pytest.mark.parametrize("setting", [{"STACK_APP_URL": APP},
                                     {"STACK_REDIRECT_URI": f"{APP}/auth/callback"}])
def test_forged_host_gets_no_mail_pointing_at_it(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                 wildcard_project: None, setting: dict[str, str]) -> None:
    client = make_app(stackauth_config, **setting).test_client()
    sent = _send_code_with_forged_host(client, "victim@example.com")
    assert sent.status_code == 303, sent.get_data(as_text=True)
    mails = [m for m in _outbox(stackauth_emulator) if m["to"] == "victim@example.com"]
    assert len(mails) == 1
    assert mails[0]["link"].startswith(f"{APP}/auth/otp/callback?code=")
    assert "attacker" not in mails[0]["link"] and "attacker" not in mails[0]["body"]


def test_oauth_redirect_uri_ignores_a_forged_host(stackauth_config: dict[str, Any], wildcard_project: None) -> None:
    client = make_app(stackauth_config, STACK_APP_URL=APP).test_client()
    response = client.get("/auth/login/github", base_url=FORGED)
    assert response.status_code == 302
    assert query_of(response.headers["Location"])["redirect_uri"] == f"{APP}/auth/callback"


def test_app_url_with_a_mount_path(stackauth_config: dict[str, Any], stackauth_emulator: Any, emu: Any) -> None:
    emu.project.trusted_domains = ["https://example.com"]
    client = make_app(stackauth_config, STACK_APP_URL="https://example.com/tools/").test_client()
    assert _send_code_with_forged_host(client, "mount@example.com").status_code == 303
    link = next(m for m in _outbox(stackauth_emulator) if m["to"] == "mount@example.com")["link"]
    assert link.startswith("https://example.com/tools/auth/otp/callback?code=")


@pytest.mark.parametrize("value", ["app.example.com", "ftp://app.example.com", "https://app.example.com/?x=1",
                                   "https://app.example.com/#top"])
def test_app_url_is_validated_at_init(stackauth_config: dict[str, Any], value: str) -> None:
    with pytest.raises(StackAuthConfigError, match="STACK_APP_URL"):
        make_app(stackauth_config, STACK_APP_URL=value)


def _production_app(config: dict[str, Any]) -> Flask:
    app = Flask("prod")
    app.config.update({"SECRET_KEY": "s" * 40, **config})
    StackAuth(app)
    return app


def test_start_up_warns_in_production_when_no_url_is_configured(stackauth_config: dict[str, Any],
                                                                 caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        _production_app(stackauth_config)
    assert sum("STACK_APP_URL" in r.getMessage() for r in caplog.records) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        _production_app({**stackauth_config, "STACK_APP_URL": APP})
        make_app(stackauth_config)  # TESTING: requests' own URL is fine
    assert not any("STACK_APP_URL" in r.getMessage() for r in caplog.records)
