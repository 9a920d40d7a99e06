"""Sign-in and sign-out edges that had no test: Stack's ``after_callback_redirect_url``, off-site
``STACK_AFTER_SIGN_IN_URL``/``STACK_AFTER_SIGN_OUT_URL``, an expired sign-out form token, ``Origin: null``,
``Sec-Fetch-Site`` on sign-out, and the ``SESSION_COOKIE_SECURE`` warning."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import make_app
from tests.helpers import callback_for, form_token, session_tokens, sign_in, sign_out, start_login


def _client(config: dict[str, Any], **settings: Any) -> FlaskClient:
    return make_app({**config, **settings}).test_client()


def _sign_in_with_after_callback(client: FlaskClient, after: str, next_url: str | None = None) -> Any:
    # A browser may carry Stack's own after_callback_redirect_url on the authorize URL; Stack hands it back
    # with the tokens.
    authorize = start_login(client, next_url=next_url) + "&" + urlencode({"after_callback_redirect_url": after})
    return client.get(callback_for(authorize, "ada@example.com"))


def test_after_callback_redirect_url_on_this_host_is_followed(stackauth_config: dict[str, Any]) -> None:
    client = _client(stackauth_config, STACK_AFTER_SIGN_IN_URL="/welcome")
    response = _sign_in_with_after_callback(client, "http://localhost/from-stack?tab=2")
    assert response.status_code == 302
    assert response.headers["Location"] == "/from-stack?tab=2"


def test_next_wins_over_after_callback_redirect_url(stackauth_config: dict[str, Any]) -> None:
    client = _client(stackauth_config)
    response = _sign_in_with_after_callback(client, "http://localhost/from-stack", next_url="/dashboard")
    assert response.headers["Location"] == "/dashboard"


def test_an_off_site_after_callback_redirect_url_is_not_followed(stackauth_config: dict[str, Any]) -> None:
    client = _client(stackauth_config, STACK_AFTER_SIGN_IN_URL="/welcome")
    # Stack accepts it (localhost is trusted on the project) but it is another origin than this app's.
    response = _sign_in_with_after_callback(client, "http://localhost:8999/elsewhere")
    assert response.status_code == 302
    assert response.headers["Location"] == "/welcome"


@pytest.mark.parametrize(("setting", "expected"), [
    ("https://evil.example/landing", "/"),
    ("//evil.example/landing", "/"),
    ("http://localhost/landing?x=1", "/landing?x=1"),  # this app's own host: reduced to a path
])
def test_after_sign_in_and_out_urls_never_leave_the_site(stackauth_config: dict[str, Any], setting: str,
                                                         expected: str) -> None:
    client = _client(stackauth_config, STACK_AFTER_SIGN_IN_URL=setting, STACK_AFTER_SIGN_OUT_URL=setting)
    signed_in = sign_in(client)
    assert signed_in.headers["Location"] == expected
    signed_out = sign_out(client)
    assert signed_out.status_code == 303
    assert signed_out.headers["Location"] == expected


@pytest.mark.parametrize("setting", ["https://evil.example/landing", "//evil.example/landing"])
def test_an_off_site_landing_url_is_named_at_start_up(stackauth_config: dict[str, Any], setting: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        make_app(stackauth_config, STACK_AFTER_SIGN_OUT_URL=setting)
    assert any("STACK_AFTER_SIGN_OUT_URL" in r.getMessage() and "not a path" in r.getMessage()
               for r in caplog.records)


def test_a_landing_url_on_the_app_url_host_is_not_warned_about(stackauth_config: dict[str, Any],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        make_app(stackauth_config, STACK_APP_URL="https://app.example.com",
                 STACK_AFTER_SIGN_IN_URL="https://app.example.com/welcome", STACK_AFTER_SIGN_OUT_URL="/bye")
    assert not any("not a path" in r.getMessage() for r in caplog.records)


def test_an_expired_sign_out_form_token_is_refused(client: FlaskClient) -> None:
    sign_in(client)
    fresh = form_token(client)
    # The same token, signed two hours ago (itsdangerous reads the time from the token).
    serializer = URLSafeTimedSerializer(client.application.secret_key, salt="flask-stackauth-form")
    binding = serializer.loads(fresh)

    class TwoHoursAgo(URLSafeTimedSerializer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            signer = self.signer

            class OldSigner(signer):  # type: ignore[valid-type,misc]
                def get_timestamp(self) -> int:
                    return super().get_timestamp() - 7200

            self.signer = OldSigner

    old = TwoHoursAgo(client.application.secret_key, salt="flask-stackauth-form").dumps(binding)
    refused = client.post("/auth/logout", data={"csrf_token": old})
    assert refused.status_code == 403
    assert "expired" in refused.get_data(as_text=True)
    assert session_tokens(client) is not None
    assert client.post("/auth/logout", data={"csrf_token": fresh}).status_code == 303


def test_origin_null_needs_the_form_token_like_any_other_post(client: FlaskClient) -> None:
    # Browsers send "Origin: null" from sandboxed frames and after cross-origin redirects; it names no site,
    # so the form token decides.
    sign_in(client)
    assert client.post("/auth/logout", headers={"Origin": "null"}).status_code == 403
    assert client.post("/auth/logout", data={"csrf_token": "forged"}, headers={"Origin": "null"}).status_code == 403
    assert session_tokens(client) is not None
    assert sign_out(client, headers={"Origin": "null"}).status_code == 303
    assert session_tokens(client) is None


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_sec_fetch_site_refuses_sign_out_as_it_refuses_the_sign_in_forms(client: FlaskClient, site: str) -> None:
    sign_in(client)
    signin_form = client.post("/auth/password", data={"csrf_token": form_token(client, "/auth/login"),
                                                      "email": "a@example.com", "password": "x" * 12},
                              headers={"Sec-Fetch-Site": site})
    assert signin_form.status_code == 403
    refused = sign_out(client, headers={"Sec-Fetch-Site": site})
    assert refused.status_code == 403
    assert "another site" in refused.get_data(as_text=True)
    assert session_tokens(client) is not None
    for allowed in ("same-origin", "none"):
        assert client.post("/auth/logout", data={"csrf_token": "forged"},
                           headers={"Sec-Fetch-Site": allowed}).status_code == 403  # the token still decides
    assert sign_out(client, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303


def _https_sign_in(client: FlaskClient) -> Any:
    start = client.get("/auth/login/github", base_url="https://localhost")
    assert start.status_code == 302
    return client.get(callback_for(start.headers["Location"], "ada@example.com"), base_url="https://localhost")


def test_https_without_session_cookie_secure_warns_once(stackauth_config: dict[str, Any], caplog: Any) -> None:
    client = _client(stackauth_config)
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        assert _https_sign_in(client).status_code == 302
        assert _https_sign_in(client).status_code == 302
    warnings = [r for r in caplog.records if "SESSION_COOKIE_SECURE" in r.getMessage()]
    assert len(warnings) == 1
    assert "Set SESSION_COOKIE_SECURE = True" in warnings[0].getMessage()


def test_no_cookie_warning_with_secure_cookies_or_over_http(stackauth_config: dict[str, Any], caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        assert _https_sign_in(_client(stackauth_config, SESSION_COOKIE_SECURE=True)).status_code == 302
        assert sign_in(_client(stackauth_config)).status_code == 302
    assert not [r for r in caplog.records if "SESSION_COOKIE_SECURE" in r.getMessage()]
