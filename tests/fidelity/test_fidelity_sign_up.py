"""The prebuilt sign-up page's request to ``POST /auth/password/sign-up``, held to v2.7.16's schema.

v2.7.16 requires ``verification_callback_url`` (``emailVerificationCallbackUrlSchema.defined()`` in
``auth/password/sign-up/route.tsx`` at the v2.7-era commit; its webhooks recording signs up with one); v2.8.86
makes it optional but mails no verification link without it. Stack's SDK always sends it.
"""

from __future__ import annotations

from typing import Any

from fidelity_support import PROJECT, PUBLISHABLE, SECRET, RecordedStack, load, step

from tests.conftest import make_app
from tests.signin.signin_support import csrf


def test_sign_up_sends_a_verification_callback_url_built_from_configuration(recorded_stack: RecordedStack) -> None:
    recorded_stack.always["/api/v1/projects/current"] = step("v2.7.16", "account", "projects_current")
    recorded_stack.answer(load("v2.7.16", "flow")["err_password_sign_up_dup"])
    app = make_app({"STACK_PROJECT_ID": PROJECT, "STACK_PUBLISHABLE_CLIENT_KEY": PUBLISHABLE,
                    "STACK_SECRET_SERVER_KEY": SECRET, "STACK_API_URL": recorded_stack.url, "STACK_HTTP_TIMEOUT": 5,
                    "STACK_APP_URL": "https://app.example.com"})
    client = app.test_client()
    response = client.post("/auth/signup", headers={"Host": "evil.example.net"}, data={
        "csrf_token": csrf(client, "/auth/signup", headers={"Host": "evil.example.net"}),
        "email": "taken@example.com", "password": "correct-horse-battery", "password_repeat": "correct-horse-battery"})
    assert response.status_code == 409  # the recorded USER_EMAIL_ALREADY_EXISTS, shown next to the field
    [sent] = [r for r in recorded_stack.received if r.path == "/api/v1/auth/password/sign-up"]
    assert sent.method == "POST" and sent.headers["x-stack-access-type"] == "client"
    body: dict[str, Any] = sent.body
    # v2.7.16 refuses a sign-up without it (SCHEMA_ERROR); v2.8 would mail no verification link.
    assert set(body) == {"email", "password", "verification_callback_url"}
    assert body["verification_callback_url"].startswith("https://app.example.com/")
