"""Settings changed after ``init_app`` fail loudly instead of being silently ignored (the testing guide's trap)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from flask_stackauth import StackAuth, StackAuthConfigError, login_required


def module_level_app() -> Flask:
    """An app built at import time from the environment, as a quickstart reader's module does."""
    app = Flask("module_level")
    app.config.update(SECRET_KEY="s" * 40, STACK_PROJECT_ID="from-the-shell", STACK_API_URL="http://127.0.0.1:9")
    StackAuth(app)

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return "hello"

    return app


def test_settings_changed_after_init_app_fail_the_first_request(stackauth_config: dict[str, Any],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    app = module_level_app()
    app.config.update(stackauth_config)  # too late: the extension read its settings at StackAuth(app)
    with caplog.at_level(logging.ERROR):
        answer = app.test_client().get("/dashboard")
    assert answer.status_code == 500
    message = " ".join(r.getMessage() for r in caplog.records)
    assert "STACK_PROJECT_ID, STACK_PUBLISHABLE_CLIENT_KEY, STACK_SECRET_SERVER_KEY, STACK_API_URL, " \
           "STACK_HTTP_TIMEOUT changed after StackAuth.init_app(app)" in message
    # Names only: the keys' values never reach the log.
    assert stackauth_config["STACK_SECRET_SERVER_KEY"] not in message
    assert stackauth_config["STACK_PUBLISHABLE_CLIENT_KEY"] not in message


def test_stackauth_login_names_the_trap(stackauth_config: dict[str, Any],
                                        stackauth_login: Callable[..., dict[str, Any]]) -> None:
    app = module_level_app()
    app.config["STACK_API_URL"] = stackauth_config["STACK_API_URL"]
    with pytest.raises(StackAuthConfigError, match=r"^STACK_API_URL changed after StackAuth.init_app\(app\)"):
        stackauth_login(app.test_client())


def test_invalid_late_settings_are_named(caplog: pytest.LogCaptureFixture) -> None:
    app = module_level_app()
    app.config["STACK_REFRESH_LEEWAY"] = "soon"
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get("/dashboard").status_code == 500
    assert ("STACK_* settings changed after StackAuth.init_app(app): STACK_REFRESH_LEEWAY must be a number"
            in caplog.text)


def test_unchanged_settings_pass_and_are_checked_once(stackauth_config: dict[str, Any],
                                                       stackauth_login: Callable[..., dict[str, Any]]) -> None:
    app = Flask("factory")
    app.config.update(SECRET_KEY="s" * 40, **stackauth_config)
    StackAuth(app)

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return "hello"

    client = app.test_client()
    stackauth_login(client)
    assert client.get("/dashboard").text == "hello"
    # After the first request passed, later changes (SECRET_KEY rotation aside) are the app's own business.
    app.config["STACK_AFTER_SIGN_IN_URL"] = "/elsewhere"
    assert client.get("/dashboard").text == "hello"
