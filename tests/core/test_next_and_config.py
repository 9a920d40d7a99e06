"""Open-redirect rules for ``next``, and configuration errors at ``init_app``."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_stackauth import StackAuth, StackAuthConfigError
from flask_stackauth.config import load_settings
from tests.helpers import sign_in

ATTACKS = [
    "//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com", "http://evil.com/x", "javascript:alert(1)",
    "%2F%2Fevil.com", "/dashboard\r\nSet-Cookie: x=1", "/a\nb", "/a\tb", "evil.com", "/" + "a" * 5000,
    "data:text/html,hi", "///evil.com", " //evil.com", "http:/evil.com", "/\x00x", "//[", "https://[evil",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_next_attacks_land_on_a_local_path(client: Any, attack: str) -> None:
    response = sign_in(client, next_url=attack)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location
    assert "\r" not in location and "\n" not in location


def test_safe_next_keeps_query_and_fragment(client: Any) -> None:
    response = sign_in(client, next_url="/reports?year=2026#top")
    assert response.headers["Location"] == "/reports?year=2026#top"


def _app(**config: Any) -> Flask:
    app = Flask("cfg")
    app.config.update(config)
    return app


def test_missing_project_id_is_a_clear_error(monkeypatch: Any) -> None:
    monkeypatch.delenv("STACK_PROJECT_ID", raising=False)
    with pytest.raises(StackAuthConfigError, match="STACK_PROJECT_ID is not set"):
        StackAuth(_app(SECRET_KEY="s"))


def test_missing_secret_key_is_a_clear_error() -> None:
    with pytest.raises(StackAuthConfigError, match="SECRET_KEY is not set"):
        StackAuth(_app(STACK_PROJECT_ID="p"))


@pytest.mark.parametrize("url", ["api.stack-auth.com", "ftp://x", "https://", "https://x/?q=1", "not a url"])
def test_malformed_api_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(StackAuthConfigError, match="STACK_API_URL must be an absolute"):
        StackAuth(_app(SECRET_KEY="s", STACK_PROJECT_ID="p", STACK_API_URL=url))


def test_bad_numbers_and_cookie_settings_are_refused() -> None:
    with pytest.raises(StackAuthConfigError, match="STACK_HTTP_TIMEOUT must be a number"):
        StackAuth(_app(SECRET_KEY="s", STACK_PROJECT_ID="p", STACK_HTTP_TIMEOUT="soon"))
    with pytest.raises(StackAuthConfigError, match="SESSION_COOKIE_SAMESITE"):
        StackAuth(_app(SECRET_KEY="s", STACK_PROJECT_ID="p", SESSION_COOKIE_SAMESITE="None"))
    with pytest.raises(StackAuthConfigError, match="HttpOnly"):
        StackAuth(_app(SECRET_KEY="s", STACK_PROJECT_ID="p", SESSION_COOKIE_HTTPONLY=False))


def test_environment_fallback_and_defaults(monkeypatch: Any) -> None:
    monkeypatch.setenv("STACK_PROJECT_ID", "from-env")
    monkeypatch.setenv("STACK_REFRESH_LEEWAY", "0")
    monkeypatch.setenv("STACK_API_URL", "https://stack.example.com/")
    settings = load_settings({"STACK_HTTP_TIMEOUT": 3})
    assert settings.project_id == "from-env"
    assert settings.refresh_leeway == 0
    assert settings.api_url == "https://stack.example.com"
    assert settings.http_timeout == 3.0
    assert settings.url_prefix == "/auth"
    assert settings.client_secret == "__stack_public_client__"
    config_wins = load_settings({"STACK_PROJECT_ID": "from-config"})
    assert config_wins.project_id == "from-config"


def test_settings_repr_never_shows_keys() -> None:
    settings = load_settings({"STACK_PROJECT_ID": "p", "STACK_SECRET_SERVER_KEY": "ssk_value_123",
                              "STACK_PUBLISHABLE_CLIENT_KEY": "pck_value_456"})
    assert "value_123" not in repr(settings) and "value_456" not in repr(settings)


def test_one_instance_serves_several_apps(stackauth_config: dict[str, Any]) -> None:
    stack = StackAuth()
    first = _app(SECRET_KEY="a", **stackauth_config)
    second = _app(SECRET_KEY="b", **{**stackauth_config, "STACK_URL_PREFIX": "/accounts"})
    stack.init_app(first)
    stack.init_app(second)
    assert first.test_client().get("/auth/logout").status_code == 200
    assert second.test_client().get("/accounts/logout").status_code == 200
    assert StackAuth.settings(first).url_prefix == "/auth"
    assert StackAuth.settings(second).url_prefix == "/accounts"
    assert not hasattr(stack, "app")


def test_issuers_of_both_server_generations_and_loopback_aliases() -> None:
    hosted = load_settings({"STACK_PROJECT_ID": "p"}).issuers()
    assert hosted == {"https://api.stack-auth.com/api/v1/projects/p",
                      "https://access-token.jwt-signature.stack-auth.com"}
    local = load_settings({"STACK_PROJECT_ID": "p", "STACK_API_URL": "http://127.0.0.1:8102"}).issuers(anonymous=True)
    assert "http://localhost:8102/api/v1/projects/p" in local
    assert "http://localhost:8102/api/v1/projects-anonymous-users/p" in local
    assert "http://localhost:8103/api/v1/projects/p" not in local
