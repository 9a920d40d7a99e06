"""The Python API behind the pages, for apps with their own: current_user's account methods and stack's."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_stackauth import StackAuth, current_user
from flask_stackauth.errors import (
    CannotDeleteCurrentSession,
    EmailAlreadyVerified,
    FeatureNotEnabled,
    NotSupportedByServer,
    PasswordAlreadySet,
    PasswordConfirmationMismatch,
    PasswordTooShort,
    SessionNotFound,
    VerificationCodeAlreadyUsed,
    VerificationCodeNotFound,
)
from tests.account.account_support import PASSWORD, code_of, mails


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Flask:
    app = Flask("apitest")
    app.config.update({"SECRET_KEY": "k" * 40, "TESTING": True, **stackauth_config})
    app.extensions["test_stack"] = StackAuth(app)
    return app


def _as(app: Flask, server: Any, email: str, **fields: Any) -> Any:
    """A request context whose bearer token is ``email``'s (created if needed)."""
    from flask_stackauth.testing import _find_or_create_user

    user = _find_or_create_user(server, email, **fields)
    token = server.emulator.create_session(user["id"])["access_token"]
    return app.test_request_context("/", headers={"Authorization": f"Bearer {token}"})


def test_password_methods_raise_typed_errors(app: Flask, stackauth_emulator: Any) -> None:
    with _as(app, stackauth_emulator, "ada@example.com", password=PASSWORD):
        with pytest.raises(PasswordConfirmationMismatch):
            current_user.update_password("wrong password", "a new good one")
        with pytest.raises(PasswordTooShort):
            current_user.update_password(PASSWORD, "short")
        with pytest.raises(PasswordAlreadySet):
            current_user.set_password("a new good one")
        current_user.update_password(PASSWORD, "a new good one")


def test_channels_verification_sessions_and_delete(app: Flask, stackauth_emulator: Any) -> None:
    emu = stackauth_emulator.emulator
    stack: StackAuth = app.extensions["test_stack"]
    with _as(app, stackauth_emulator, "ada@example.com", email_verified=False):
        channels = current_user.contact_channels()
        assert [(c.value, c.is_primary, c.is_verified) for c in channels] == [("ada@example.com", True, False)]
        current_user.send_verification_email()
        code = code_of(mails(emu, "email_verification")[-1])
        stack.verify_email(code)
        with pytest.raises(VerificationCodeAlreadyUsed):
            stack.verify_email(code)
        with pytest.raises(EmailAlreadyVerified):
            current_user.send_verification_email()
        sessions = current_user.sessions()
        assert len(sessions) == 1 and sessions[0].is_current_session
        with pytest.raises(CannotDeleteCurrentSession):
            current_user.revoke_session(sessions[0].id)
        with pytest.raises(SessionNotFound):
            current_user.revoke_session("not-a-session-id")
        with pytest.raises(FeatureNotEnabled):
            current_user.delete()


def test_sessions_are_not_supported_on_v27(app: Flask, stackauth_emulator: Any) -> None:
    stackauth_emulator.emulator.set_legacy_tokens(True)
    with _as(app, stackauth_emulator, "ada@example.com"), pytest.raises(NotSupportedByServer):
        current_user.sessions()


def test_stack_password_reset(app: Flask, stackauth_emulator: Any) -> None:
    emu = stackauth_emulator.emulator
    stack: StackAuth = app.extensions["test_stack"]
    emu.create_user("ada@example.com", password=PASSWORD)
    with app.test_request_context("/"):
        stack.send_password_reset("ada@example.com")
        stack.send_password_reset("nobody@example.com")  # the same answer, nothing raised
        mail = mails(emu, "password_reset")[-1]
        assert mail["link"].startswith("http://localhost/auth/password-reset?code=")
        stack.check_password_reset_code(code_of(mail))
        stack.reset_password(code_of(mail), "a new good one")
        with pytest.raises(VerificationCodeNotFound):
            stack.check_password_reset_code("a" * 45)
