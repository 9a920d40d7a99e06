"""Whatever is posted to the two-factor, team and invitation forms, the answer is a 4xx page or a redirect."""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_stackauth.emulator.account_settings import configure_project
from flask_stackauth.testing import sign_in_client
from tests.signin.signin_support import server_headers
from tests.teams_mfa.support import csrf

TEAM = "00000000-0000-4000-8000-000000000000"
FORMS = ["/auth/account/two-factor/start", "/auth/account/two-factor/confirm", "/auth/account/two-factor/cancel",
         "/auth/account/two-factor/disable", "/auth/teams/create", "/auth/teams/select", "/auth/team-invitation",
         "/auth/teams/{team}/invite", "/auth/teams/{team}/leave", "/auth/teams/{team}/members/{junk}/remove",
         "/auth/teams/{team}/invitations/{junk}/revoke"]
FIELDS = ["csrf_token", "totp", "display_name", "team_id", "email", "code", "next"]
junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200)
plausible = st.emails() | st.from_regex(r"\A[0-9]{6}\Z") | st.just(TEAM) | st.uuids().map(str) | st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=45, max_size=45)
segment = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=40) | st.uuids().map(str)


def _check(response: Any) -> None:
    assert response.status_code < 500 or response.status_code == 501, response.status_code
    if response.status_code >= 400:
        assert response.mimetype == "text/html"
        assert "Traceback" not in response.get_data(as_text=True)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(FORMS), data=st.dictionaries(st.sampled_from(FIELDS), junk | plausible, max_size=5),
       with_token=st.booleans(), own_team=st.booleans(), junk_segment=segment, signed_in=st.booleans())
def test_random_posts_are_answered_cleanly(app: Any, stackauth_emulator: Any, path: str, data: dict[str, str],
                                           with_token: bool, own_team: bool, junk_segment: str,
                                           signed_in: bool) -> None:
    configure_project(stackauth_emulator.emulator, client_team_creation_enabled=True)
    client = app.test_client()
    team = TEAM
    if signed_in:
        user = sign_in_client(stackauth_emulator, client, "fuzz@example.com")
        if own_team:
            answer = requests.post(f"{stackauth_emulator.url}/api/v1/teams", headers=server_headers(stackauth_emulator),
                                   json={"display_name": "Fuzz", "creator_user_id": user["id"]}, timeout=10)
            team = answer.json()["id"]
    if with_token:
        data = {**data, "csrf_token": csrf(client, "/auth/account/two-factor" if signed_in else "/auth/login")}
    response = client.post(path.format(team=team, junk=junk_segment), data=data)
    _check(response)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=junk | plausible, signed_in=st.booleans())
def test_random_invitation_links_are_answered_cleanly(app: Any, stackauth_emulator: Any, code: str,
                                                      signed_in: bool) -> None:
    client = app.test_client()
    if signed_in:
        sign_in_client(stackauth_emulator, client, "fuzz@example.com")
    response = client.get("/auth/team-invitation", query_string={"code": code})
    _check(response)
    assert response.status_code in (200, 400, 404, 409, 410, 429)
