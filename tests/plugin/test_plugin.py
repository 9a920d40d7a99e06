"""The pytest plugin, used by a separate test project the way an app's own test suite uses it."""

from __future__ import annotations

from typing import Any

pytest_plugins = ["pytester"]

APP_TESTS = '''
import pytest
from flask import Flask
from flask_stackauth import StackAuth, current_user, login_required


@pytest.fixture
def app(stackauth_config):
    app = Flask("users_app")
    app.config.update(SECRET_KEY="k" * 32, TESTING=True, **stackauth_config)
    StackAuth(app)

    @app.get("/me")
    @login_required
    def me():
        return {"email": current_user.primary_email}

    return app


def test_signed_out_client_is_refused(client):
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401


def test_stackauth_login_signs_the_pytest_flask_client_in(client, stackauth_login):
    user = stackauth_login(client, email="ada@example.com", display_name="Ada")
    assert user["display_name"] == "Ada"
    assert client.get("/me").json == {"email": "ada@example.com"}


def test_bearer_helper(client, stackauth_bearer):
    token = stackauth_bearer(email="api@example.com")
    assert client.get("/me", headers={"Authorization": f"Bearer {token}"}).json == {"email": "api@example.com"}


def test_stackauth_login_finds_a_restricted_user_again(client, stackauth_login, stackauth_emulator):
    first = stackauth_login(client, email="held@example.com", restricted_by_admin=True)
    assert stackauth_login(client, email="held@example.com")["id"] == first["id"]


def test_stackauth_login_with_expires_in_is_refreshed_once(client, stackauth_login, stackauth_emulator):
    emu = stackauth_emulator.emulator
    stackauth_login(client, email="soon@example.com", expires_in=5)
    assert client.get("/me").status_code == 200
    assert client.get("/me").status_code == 200
    assert emu.calls("POST", "/api/v1/auth/oauth/token") == 1


def test_emulator_is_reset_between_tests(stackauth_emulator):
    emu = stackauth_emulator.emulator
    assert emu.calls() == 0
    emu.create_user("only-here@example.com")
'''


def test_plugin_fixtures_work_in_a_users_test_suite(pytester: Any) -> None:
    pytester.makepyfile(test_users_app=APP_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
