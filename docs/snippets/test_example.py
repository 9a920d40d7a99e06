# --8<-- [start:basics]
from urllib.parse import urlsplit

import pytest
from flask import Flask

from flask_stackauth import StackAuth, current_user, login_required
from flask_stackauth.emulator.client import complete_oauth

TOKEN_ENDPOINT = "/api/v1/auth/oauth/token"


@pytest.fixture
def app(stackauth_config):  # pytest-flask builds the `client` fixture from this
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", STACK_REFRESH_LEEWAY=60, **stackauth_config)
    StackAuth(app)

    @app.get("/api/me")
    @login_required
    def me():
        return {"id": current_user.id, "email": current_user.primary_email}

    return app


def test_signed_out_api_calls_get_401(client):
    response = client.get("/api/me", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["code"] == "USER_AUTHENTICATION_REQUIRED"


def test_signed_in(client, stackauth_login):
    user = stackauth_login(client, email="ada@example.com")
    assert client.get("/api/me").json == {"id": user["id"], "email": "ada@example.com"}


def test_bearer_token(client, stackauth_bearer):
    token = stackauth_bearer(email="api@example.com")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["email"] == "api@example.com"


def test_an_expiring_token_is_refreshed_once(client, stackauth_emulator, stackauth_login):
    emulator = stackauth_emulator.emulator
    emulator.set_access_token_lifetime(30)  # under STACK_REFRESH_LEEWAY: refreshed on the next request
    stackauth_login(client)
    emulator.set_access_token_lifetime(600)
    assert client.get("/api/me").status_code == 200
    assert client.get("/api/me").status_code == 200
    assert emulator.calls("POST", TOKEN_ENDPOINT) == 1


def test_a_refresh_during_an_outage_keeps_the_valid_token(client, stackauth_emulator, stackauth_login):
    emulator = stackauth_emulator.emulator
    emulator.set_access_token_lifetime(30)
    stackauth_login(client)
    emulator.fail_next(1, path=TOKEN_ENDPOINT, mode="503")
    assert client.get("/api/me").status_code == 200  # the token has 30 s left: the view still runs
# --8<-- [end:basics]


# --8<-- [start:oauth]
def test_oauth_sign_in(client):
    start = client.get("/auth/login/github?next=/api/me")
    callback = urlsplit(complete_oauth(start.headers["Location"], "grace@example.com"))
    answer = client.get(f"{callback.path}?{callback.query}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/api/me"
    assert client.get("/api/me").json["email"] == "grace@example.com"
# --8<-- [end:oauth]
