"""Hard cases: outages that must not queue or repeat, garbage answers, proxies, mounts and restricted users."""

from __future__ import annotations

from typing import Any

import requests
import responses

from flask_stackauth.tokens import TOKENS_KEY
from tests.conftest import make_app
from tests.helpers import age_session, callback_for, form_token_in, sign_in, start_login

TOKEN = "/api/v1/auth/oauth/token"
JWKS = "/api/v1/projects/internal/.well-known/jwks.json"


def _mocked(server: Any) -> responses.RequestsMock:
    """Fault injection on one endpoint; every other call goes to the real emulator."""
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    mock.add_passthru(server.url + "/api/v1/projects")
    mock.add_passthru(server.url + "/api/v1/users")
    mock.add_passthru(server.url + "/api/v1/auth/sessions")
    return mock


def test_anonymous_users_profile_reads_work_where_allowed(client: Any, stackauth_emulator: Any) -> None:
    anon = requests.post(f"{stackauth_emulator.url}/api/v1/auth/anonymous/sign-up", json={}, timeout=10, headers={
        "x-stack-access-type": "client", "x-stack-project-id": stackauth_emulator.project_id}).json()
    response = client.get("/anon-ok", headers={"Authorization": f"Bearer {anon['access_token']}"})
    assert response.status_code == 200
    assert response.json["has_password"] is False


def test_unreachable_jwks_is_503_and_not_fetched_again_at_once(client: Any, emu: Any,
                                                               stackauth_bearer: Any) -> None:
    token = stackauth_bearer("jwks@example.com")
    emu.fail_next(1, path=JWKS, mode="500")
    for _ in range(5):
        response = client.get("/protected", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503
        assert response.json["code"] == "STACK_AUTH_UNAVAILABLE"
    assert emu.calls("GET", JWKS) == 1


def test_current_user_does_not_retry_a_failing_refresh_within_a_request(
        stackauth_config: dict[str, Any], emu: Any) -> None:
    app = make_app(stackauth_config, STACK_HTTP_TIMEOUT=0.3)
    client = app.test_client()
    sign_in(client)
    age_session(client, -1)
    before = emu.calls("POST", TOKEN)
    emu.fail_next(10, path=TOKEN, mode="500")
    response = client.get("/whoami-many")
    assert response.status_code == 200
    assert response.json == {"ids": [None] * 4}
    assert emu.calls("POST", TOKEN) - before == 1


def test_refresh_answering_plain_text_keeps_a_valid_token(client: Any, stackauth_emulator: Any) -> None:
    sign_in(client)
    age_session(client, 10)
    with _mocked(stackauth_emulator) as mock:
        mock.add(responses.POST, stackauth_emulator.url + TOKEN, status=429, body="Too many requests",
                 content_type="text/plain")
        assert client.get("/protected").status_code == 200
        assert client.get("/", headers={"Accept": "text/html"}).json["signed_in"] is True
        age_session(client, -1)
        expired = client.get("/protected", headers={"Accept": "application/json"})
    assert expired.status_code == 503
    with client.session_transaction() as session:
        assert TOKENS_KEY in session


def test_refresh_answering_a_token_that_is_no_jwt_is_not_stored(client: Any, stackauth_emulator: Any) -> None:
    sign_in(client)
    with client.session_transaction() as session:
        kept = session[TOKENS_KEY]["access_token"]
    age_session(client, 10)
    with _mocked(stackauth_emulator) as mock:
        mock.add(responses.POST, stackauth_emulator.url + TOKEN, json={"access_token": "garbage"})
        assert client.get("/protected").status_code == 200
    with client.session_transaction() as session:
        assert session[TOKENS_KEY]["access_token"] == kept


def test_garbage_code_exchange_answers_are_502_not_500(client: Any, stackauth_emulator: Any) -> None:
    bodies = [{"access_token": "a", "refresh_token": "r", "expires_in": "soon"},
              {"access_token": "a", "refresh_token": "r", "expires_in": 1e400},
              {"error": "server_error", "access_token": "a"}, ["not", "an", "object"]]
    for body in bodies:
        callback = callback_for(start_login(client), "ada@example.com")
        with _mocked(stackauth_emulator) as mock:
            mock.add(responses.POST, stackauth_emulator.url + TOKEN, json=body)
            response = client.get(callback)
        assert response.status_code == 502, body
        with client.session_transaction() as session:
            assert TOKENS_KEY not in session


def test_project_config_of_an_unexpected_shape_is_no_500(client: Any, stackauth_emulator: Any) -> None:
    with _mocked(stackauth_emulator) as mock:
        mock.add(responses.GET, stackauth_emulator.url + "/api/v1/projects/current",
                 json={"id": "internal", "config": "x"})
        # An unusable answer is an outage (issue 11 item 7), never "no sign-in method enabled".
        assert client.get("/auth/login").status_code == 503
        # The provider is then left to Stack Auth to judge.
        assert client.get("/auth/login/github").status_code == 302


def test_sign_out_behind_a_tls_proxy_without_proxy_fix(client: Any) -> None:
    sign_in(client)
    page = client.get("/auth/logout")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    csrf = form_token_in(page.get_data(as_text=True))
    response = client.post("/auth/logout", data={"csrf_token": csrf}, headers={"Origin": "https://localhost"})
    assert response.status_code == 303


def test_app_mounted_below_a_path_keeps_its_prefix_in_next(client: Any) -> None:
    response = client.get("/dashboard", base_url="http://localhost/app", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/auth/login?next=/app/dashboard"


def test_a_rate_limited_refresh_is_retried(client: Any, emu: Any) -> None:
    sign_in(client)
    old = client.get("/protected").json["token_sha"]
    age_session(client, 5)
    before = emu.calls("POST", TOKEN)
    emu.fail_next(1, path=TOKEN, mode="429")
    response = client.get("/protected")
    assert response.status_code == 200
    assert response.json["token_sha"] != old
    assert emu.calls("POST", TOKEN) - before == 2  # the 429, then the retry


def test_a_lasting_rate_limit_is_an_outage_not_a_sign_out(client: Any, emu: Any) -> None:
    sign_in(client)
    age_session(client, 10)
    emu.fail_next(6, path=TOKEN, mode="429")
    assert client.get("/protected").status_code == 200
    age_session(client, -1)
    expired = client.get("/protected", headers={"Accept": "application/json"})
    assert expired.status_code == 503
    with client.session_transaction() as session:
        assert TOKENS_KEY in session


def test_loopback_spellings_of_the_api_url_are_one_issuer(stackauth_config: dict[str, Any],
                                                          stackauth_emulator: Any, stackauth_bearer: Any) -> None:
    # The emulator writes iss with 127.0.0.1; the app reaches the same server as localhost.
    port = stackauth_emulator.url.rsplit(":", 1)[1]
    app = make_app({**stackauth_config, "STACK_API_URL": f"http://localhost:{port}"})
    token = stackauth_bearer("loopback@example.com")
    response = app.test_client().get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
