"""OAuth sign-in through the app and the emulator, over real HTTP."""

from __future__ import annotations

from typing import Any

from flask_stackauth import user_signed_in
from flask_stackauth.tokens import STATE_PREFIX, TOKENS_KEY
from tests.helpers import callback_for, expire_pending, local_path, pending_sign_ins, query_of, sign_in, start_login


def _session(client: Any) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


def test_complete_sign_in_lands_on_next_and_shows_the_user(client: Any, emu: Any) -> None:
    authorize = start_login(client, next_url="/dashboard")
    params = query_of(authorize)
    assert authorize.startswith(client.application.config["STACK_API_URL"] + "/api/v1/auth/oauth/authorize/github?")
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert params["scope"] == "legacy"
    assert params["grant_type"] == "authorization_code"
    assert params["response_type"] == "code"
    assert params["type"] == "authenticate"
    assert params["client_id"] == "internal"
    assert params["client_secret"] == client.application.config["STACK_PUBLISHABLE_CLIENT_KEY"]
    assert params["redirect_uri"] == "http://localhost/auth/callback"
    assert "code_verifier" not in params

    response = client.get(callback_for(authorize, "ada@example.com"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert page.get_data(as_text=True) == "Hello ada@example.com"
    stored = _session(client)
    assert set(stored[TOKENS_KEY]) == {"access_token", "refresh_token", "expires_at"}
    assert not [k for k in stored if k.startswith(STATE_PREFIX)]
    assert emu.calls("POST", "/api/v1/auth/oauth/token") == 1


def test_sign_in_sends_signal_with_new_user_flag(app: Any, client: Any) -> None:
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    with user_signed_in.connected_to(receiver, app):
        sign_in(client, "new@example.com")
        sign_in(client, "new@example.com")
    assert [s["is_new_user"] for s in seen] == [True, False]
    assert seen[0]["user"].primary_email == "new@example.com"
    assert seen[0]["method"] == "oauth"


def test_without_next_lands_on_after_sign_in_url(stackauth_config: dict[str, Any]) -> None:
    from tests.conftest import make_app

    app = make_app(stackauth_config, STACK_AFTER_SIGN_IN_URL="/welcome")
    client = app.test_client()
    response = sign_in(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/welcome"


def test_login_query_provider_form_and_unknown_provider(client: Any) -> None:
    response = client.get("/auth/login?provider=google")
    assert response.status_code == 302
    assert "/api/v1/auth/oauth/authorize/google?" in response.headers["Location"]
    bad = client.get("/auth/login/facebook")
    assert bad.status_code == 400
    assert "not enabled" in bad.get_data(as_text=True)
    weird = client.get("/auth/login/%3Cscript%3E")
    assert weird.status_code == 400
    assert "<script>" not in weird.get_data(as_text=True)


def test_login_page_lists_enabled_providers_and_caches_project(client: Any, emu: Any) -> None:
    page = client.get("/auth/login?next=/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for provider in ("github", "google"):
        assert f"/auth/login/{provider}?next=/dashboard" in html
    client.get("/auth/login")
    assert emu.calls("GET", "/api/v1/projects/current") == 1


def test_provider_cancel_shows_stacks_message_and_stores_nothing(client: Any) -> None:
    authorize = start_login(client)
    callback = callback_for(authorize, "x@example.com", cancel=True)
    params = query_of(callback)
    assert params["errorCode"] == "OAUTH_PROVIDER_ACCESS_DENIED"
    assert "state" not in params
    response = client.get(callback)
    assert response.status_code == 400
    assert "OAUTH_PROVIDER_ACCESS_DENIED" in response.get_data(as_text=True)
    assert TOKENS_KEY not in _session(client)


def test_missing_forged_and_replayed_state_are_400(client: Any) -> None:
    assert client.get("/auth/callback").status_code == 400
    assert client.get("/auth/callback?code=abc").status_code == 400
    authorize = start_login(client)
    callback = callback_for(authorize, "ada@example.com")
    forged = callback.replace(f"state={query_of(callback)['state']}", "state=forged")
    response = client.get(forged)
    assert response.status_code == 400
    assert "state mismatch" in response.get_data(as_text=True)
    assert client.get(callback).status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "INVALID_STATE" in replay.get_data(as_text=True)


def test_expired_state_is_400_and_debug_page_names_causes(client: Any, app: Any) -> None:
    authorize = start_login(client)
    callback = callback_for(authorize, "ada@example.com")
    state = query_of(callback)["state"]
    assert state in pending_sign_ins(client)
    expire_pending(client)  # the browser comes back 11 minutes later
    app.debug = True
    response = client.get(callback)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "expired" in html
    assert "localhost vs 127.0.0.1" in html
    assert TOKENS_KEY not in _session(client)


def test_replayed_code_is_rejected(client: Any) -> None:
    first = start_login(client)
    second = start_login(client)
    callback = callback_for(first, "ada@example.com")
    assert client.get(callback).status_code == 302
    # The same code under another pending state of this browser: Stack Auth refuses the used code.
    replay = callback.replace(query_of(callback)["state"], query_of(second)["state"])
    response = client.get(replay)
    assert response.status_code == 400
    assert "INVALID_AUTHORIZATION_CODE" in response.get_data(as_text=True)


def test_pkce_verifier_mismatch_is_rejected_without_burning_the_code(client: Any) -> None:
    first = start_login(client)
    second = start_login(client)
    callback = callback_for(first, "ada@example.com")
    swapped = callback.replace(query_of(callback)["state"], query_of(second)["state"])
    response = client.get(swapped)
    assert response.status_code == 400
    assert "INVALID_AUTHORIZATION_CODE" in response.get_data(as_text=True)
    assert TOKENS_KEY not in _session(client)
    assert client.get(callback).status_code == 302


def test_two_tabs_sign_in_at_once(client: Any) -> None:
    tab_a = start_login(client, next_url="/a")
    tab_b = start_login(client, next_url="/b")
    callback_a = callback_for(tab_a, "ada@example.com")
    callback_b = callback_for(tab_b, "ada@example.com")
    assert client.get(callback_b).headers["Location"] == "/b"
    assert client.get(callback_a).headers["Location"] == "/a"


def test_pending_sign_ins_are_capped(client: Any) -> None:
    for _ in range(12):
        start_login(client)
    pending = [k for k in _session(client) if k.startswith(STATE_PREFIX)]
    assert len(pending) == 5


def test_stack_auth_down_at_code_exchange_is_502_and_stores_nothing(client: Any, emu: Any) -> None:
    callback = callback_for(start_login(client), "ada@example.com")
    emu.fail_next(1, path="/api/v1/auth/oauth/token", mode="500")
    response = client.get(callback)
    assert response.status_code == 502
    assert TOKENS_KEY not in _session(client)


def test_session_fixation_drops_earlier_tokens(client: Any, emu: Any) -> None:
    sign_in(client, "first@example.com")
    before = _session(client)[TOKENS_KEY]
    sign_in(client, "second@example.com")
    after = _session(client)[TOKENS_KEY]
    assert after["refresh_token"] != before["refresh_token"]
    assert client.get("/dashboard").get_data(as_text=True) == "Hello second@example.com"


def test_callback_location_is_relative_for_redirect_uri_setting(stackauth_config: dict[str, Any]) -> None:
    from tests.conftest import make_app

    app = make_app(stackauth_config, STACK_REDIRECT_URI="https://app.example.com/auth/callback")
    client = app.test_client()
    params = query_of(start_login(client))
    assert params["redirect_uri"] == "https://app.example.com/auth/callback"


def test_proxy_fix_gives_https_redirect_uri(stackauth_config: dict[str, Any]) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tests.conftest import make_app

    app = make_app(stackauth_config)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    client = app.test_client()
    response = client.get("/auth/login/github", headers={"X-Forwarded-Proto": "https",
                                                         "X-Forwarded-Host": "app.example.com"})
    assert query_of(response.headers["Location"])["redirect_uri"] == "https://app.example.com/auth/callback"
    assert local_path("https://app.example.com/auth/callback?x=1") == "/auth/callback?x=1"


def test_projects_that_require_the_publishable_key_work(client: Any, emu: Any) -> None:
    emu.project.require_publishable_client_key = True  # as on hosted projects since 2026-02
    response = sign_in(client, next_url="/dashboard")
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").get_data(as_text=True) == "Hello ada@example.com"


def test_missing_publishable_key_where_required_is_a_clear_error(stackauth_config: dict[str, Any], emu: Any) -> None:
    from tests.conftest import make_app

    emu.project.require_publishable_client_key = True
    app = make_app({**stackauth_config, "STACK_PUBLISHABLE_CLIENT_KEY": None})
    client = app.test_client()
    page = client.get("/auth/login")
    assert page.status_code == 503
    authorize = start_login(client)
    assert query_of(authorize)["client_secret"] == "__stack_public_client__"
    api = client.get("/protected", headers={"Accept": "application/json"})
    assert api.status_code == 401


def test_jwks_unreachable_at_sign_in_is_502_and_stores_nothing(client: Any, emu: Any) -> None:
    callback = callback_for(start_login(client), "ada@example.com")
    emu.fail_next(1, path="/api/v1/projects/internal/.well-known/jwks.json", mode="500")
    response = client.get(callback)
    assert response.status_code == 502
    assert TOKENS_KEY not in _session(client)
