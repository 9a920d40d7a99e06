"""Whatever is posted to the account and recovery forms, the answer is a 4xx page or a redirect, never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_stackauth.emulator.account_settings import configure_project
from flask_stackauth.testing import sign_in_client
from tests.account.account_support import account_app, token_of

FORMS = ["/auth/forgot-password", "/auth/password-reset", "/auth/verify-email", "/auth/verify-email/send",
         "/auth/account", "/auth/account/emails", "/auth/account/password", "/auth/account/sessions",
         "/auth/account/delete", "/auth/logout/everywhere"]
FIELDS = ["email", "password", "password_repeat", "old_password", "code", "action", "channel_id", "session_id",
          "display_name", "confirm", "remove_image", "next"]
junk = st.text(alphabet=st.characters(codec="utf-8"), max_size=200)
plausible = (st.emails() | st.sampled_from(["add", "verify", "primary", "use_for_sign_in", "stop_sign_in", "remove",
                                            "end_others", "delete my account", "1"])
             | st.text(alphabet="0123456789abcdefghjkmnpqrstvwxyz", min_size=45, max_size=45)
             | st.uuids().map(str) | st.text(min_size=8, max_size=70))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(FORMS), data=st.dictionaries(st.sampled_from(FIELDS), junk | plausible, max_size=6),
       with_token=st.booleans(), signed_in=st.booleans(), deletion=st.booleans())
def test_random_account_posts_are_answered_cleanly(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                   path: str, data: dict[str, str], with_token: bool,
                                                   signed_in: bool, deletion: bool) -> None:
    stackauth_emulator.emulator.reset()
    configure_project(stackauth_emulator.emulator, client_user_deletion_enabled=deletion)
    client = account_app(stackauth_config).test_client()
    if signed_in:
        sign_in_client(stackauth_emulator, client, "fuzz@example.com")
    if with_token:
        data = {**data, "csrf_token": token_of(client, "/auth/forgot-password")}
    response = client.post(path, data=data)
    assert response.status_code < 500, (response.status_code, response.get_data(as_text=True)[-800:])
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    for name in ("password", "old_password", "password_repeat"):
        value = data.get(name, "")
        echoed_elsewhere = any(v == value for k, v in data.items() if k != name and "password" not in k)
        if len(value) >= 8 and value.strip() and not echoed_elsewhere:
            assert value not in body.replace("&#34;", '"'), name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=junk | plausible, path=st.sampled_from(["/auth/password-reset", "/auth/verify-email",
                                                    "/auth/forgot-password"]))
def test_random_query_strings_on_the_landing_pages(client: Any, code: str, path: str) -> None:
    response = client.get(path, query_string={"code": code})
    assert 200 <= response.status_code < 500
