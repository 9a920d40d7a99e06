"""Whatever is posted to the sign-in forms, the answer is a page with a 4xx (or a redirect), never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_stackauth.tokens import TOKENS_KEY
from tests.conftest import make_app
from tests.signin.signin_support import csrf

FORMS = ["/auth/password", "/auth/signup", "/auth/otp/send", "/auth/otp/code", "/auth/otp/callback", "/auth/mfa"]
FIELDS = ["email", "password", "password_repeat", "otp_email", "code", "totp", "next"]
junk = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
# Well-formed values get past the local checks, so Stack Auth's own refusals are exercised too.
plausible = st.emails() | st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=6, max_size=6) | st.from_regex(
    r"\A[0-9]{6}\Z") | st.text(min_size=8, max_size=70)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(FORMS), data=st.dictionaries(st.sampled_from(FIELDS), junk | plausible, max_size=5),
       with_token=st.booleans())
def test_random_form_posts_are_answered_cleanly(stackauth_config: dict[str, Any], path: str,
                                                data: dict[str, str], with_token: bool) -> None:
    client = make_app(stackauth_config).test_client()
    if with_token:
        data = {**data, "csrf_token": csrf(client)}
    response = client.post(path, data=data)
    assert response.status_code < 500, response.status_code
    if response.status_code >= 400:
        assert response.mimetype == "text/html"
        assert "Traceback" not in response.get_data(as_text=True)
    if response.status_code != 303:  # only a completed sign-up or sign-in may leave a session
        with client.session_transaction() as session:
            assert TOKENS_KEY not in session


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=junk, path=st.sampled_from(["/auth/otp/callback", "/auth/otp/code", "/auth/mfa", "/auth/signup"]))
def test_random_query_strings_on_the_pages(client: Any, code: str, path: str) -> None:
    response = client.get(path, query_string={"code": code, "next": code})
    assert response.status_code in (200, 400, 403)
