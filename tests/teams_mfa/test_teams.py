"""Teams, the switcher, a team's page, invitations and accepting them, over real HTTP against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from flask_stackauth.emulator.account_settings import configure_project, settings
from tests.signin.signin_support import server_headers
from tests.teams_mfa.support import APP_URL, code_of, csrf, local, post, text

TEAMS = "/auth/teams"


@pytest.fixture
def emu_server(stackauth_emulator: Any) -> Any:
    configure_project(stackauth_emulator.emulator, client_team_creation_enabled=True)
    return stackauth_emulator


def _grant(server: Any, team_id: str, user_id: str, permission: str) -> None:
    answer = requests.post(f"{server.url}/api/v1/team-permissions/{team_id}/{user_id}/{permission}",
                           headers=server_headers(server), json={}, timeout=10)
    assert answer.status_code in (200, 201), answer.text


def _create(client: Any, name: str = "Rocket") -> str:
    answer = post(client, f"{TEAMS}/create", {"display_name": name}, page=TEAMS)
    assert answer.status_code == 303, text(answer)
    return str(answer.headers["Location"]).rsplit("/", 1)[1]


def _invite(client: Any, server: Any, team_id: str, owner_id: str, email: str = "bob@example.com") -> str:
    _grant(server, team_id, owner_id, "$invite_members")
    page = f"{TEAMS}/{team_id}"
    sent = post(client, f"{page}/invite", {"email": email}, page=page)
    assert sent.status_code == 303, text(sent)
    mail = server.emulator.emails[-1]
    assert mail["to"] == email
    return str(mail["link"])


def test_create_a_team_it_is_selected_and_listed(client: Any, emu_server: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    team_id = _create(client, "Rocket")
    page = client.get(f"{TEAMS}/{team_id}")
    assert page.status_code == 200
    assert "Rocket" in text(page) and "selected" in text(page)
    listing = text(client.get(TEAMS))
    assert f'href="/auth/teams/{team_id}">Rocket</a><span class="badge">selected</span>' in listing


def test_creation_turned_off_hides_the_form_and_refuses(client: Any, stackauth_emulator: Any,
                                                        stackauth_login: Any) -> None:
    configure_project(stackauth_emulator.emulator, client_team_creation_enabled=False)
    stackauth_login(client, "ada@example.com")
    assert "Create a team" not in text(client.get(TEAMS))
    refused = post(client, f"{TEAMS}/create", {"display_name": "X"}, page=TEAMS)
    assert refused.status_code == 403
    assert "Creating teams is turned off" in text(refused)


def test_empty_or_long_team_names_are_refused(client: Any, emu_server: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    assert post(client, f"{TEAMS}/create", {"display_name": "  "}, page=TEAMS).status_code == 400
    assert post(client, f"{TEAMS}/create", {"display_name": "x" * 101}, page=TEAMS).status_code == 400


def test_switcher_selects_and_goes_back(client: Any, emu_server: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    first = _create(client, "One")
    second = _create(client, "Two")
    back = post(client, f"{TEAMS}/select", {"team_id": first, "next": "/dashboard"}, page=TEAMS)
    assert back.status_code == 303 and back.headers["Location"] == "/dashboard"
    assert f'<option value="{first}" selected>One</option>' in text(client.get(TEAMS))
    outsider = post(client, f"{TEAMS}/select", {"team_id": "00000000-0000-4000-8000-000000000000"}, page=TEAMS)
    assert outsider.status_code == 404
    offsite = post(client, f"{TEAMS}/select", {"team_id": second, "next": "https://evil.example/"}, page=TEAMS)
    assert offsite.headers["Location"] == TEAMS
    none = post(client, f"{TEAMS}/select", {"team_id": ""}, page=TEAMS)
    assert none.status_code == 303
    assert '<option value="" selected>No team</option>' in text(client.get(TEAMS))


def test_invite_accept_and_see_the_team(app: Any, client: Any, emu_server: Any, stackauth_login: Any) -> None:
    owner = stackauth_login(client, "ada@example.com")
    team_id = _create(client, "Rocket")
    link = _invite(client, emu_server, team_id, owner["id"])
    # The link is our accept page on the configured app URL, never on the request's Host.
    assert link.startswith(f"{APP_URL}/auth/team-invitation?code=")
    assert "bob@example.com" in text(client.get(f"{TEAMS}/{team_id}"))  # pending
    bob = app.test_client()
    # Signed out: the invitation is checked (spending nothing) and the page asks to sign in first.
    landing = bob.get(local(link))
    assert landing.status_code == 200
    assert "/auth/login?next=/auth/team-invitation?code%3D" in text(landing)
    assert "/auth/signup?next=" in text(landing)
    # A POST without a session goes to sign-in; Stack is never asked to accept.
    blind = bob.post("/auth/team-invitation", data={"code": code_of(link)})
    assert blind.status_code == 303 and "/auth/login?next=" in blind.headers["Location"]
    stackauth_login(bob, "bob@example.com")
    shown = bob.get(local(link))
    assert shown.status_code == 200 and "Join Rocket" in text(shown)
    accepted = post(bob, "/auth/team-invitation", {"code": code_of(link)}, page=local(link))
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == f"/auth/teams/{team_id}?done=joined"
    team_page = text(bob.get(accepted.headers["Location"]))
    assert "Welcome to the team." in team_page and "Rocket" in team_page
    members = text(client.get(f"{TEAMS}/{team_id}"))
    assert members.count("<li><span>") >= 2
    # The code is spent now: the page says so.
    again = bob.get(local(link))
    assert again.status_code == 409 and "already been used" in text(again)


def test_bad_codes_say_what_is_wrong(client: Any, stackauth_login: Any) -> None:
    assert client.get("/auth/team-invitation").status_code == 400
    unknown = client.get("/auth/team-invitation?code=" + "a" * 45)
    assert unknown.status_code == 404 and "not valid" in text(unknown)
    stackauth_login(client, "ada@example.com")
    assert client.get("/auth/team-invitation?code=" + "a" * 45).status_code == 404
    assert client.get("/auth/team-invitation?code=" + "a" * 300).status_code == 400


def test_seat_limit_shows_stacks_message(app: Any, client: Any, emu_server: Any, stackauth_login: Any) -> None:
    owner = stackauth_login(client, "ada@example.com")
    team_id = _create(client)
    link = _invite(client, emu_server, team_id, owner["id"])
    settings(emu_server.emulator).seat_limit = 1
    bob = app.test_client()
    stackauth_login(bob, "bob@example.com")
    full = post(bob, "/auth/team-invitation", {"code": code_of(link)}, page=local(link))
    assert full.status_code == 409
    assert "This team has no free seat:" in text(full)


def test_revoke_remove_and_leave(app: Any, client: Any, emu_server: Any, stackauth_login: Any) -> None:
    owner = stackauth_login(client, "ada@example.com")
    team_id = _create(client)
    page = f"{TEAMS}/{team_id}"
    link = _invite(client, emu_server, team_id, owner["id"], "carol@example.com")
    inv_id = emu_server.emulator.emails[-1]["invitation_id"]
    revoked = post(client, f"{page}/invitations/{inv_id}/revoke", page=page)
    assert revoked.status_code == 303
    assert "carol@example.com" not in text(client.get(page))
    carol = app.test_client()
    stackauth_login(carol, "carol@example.com")
    assert carol.get(local(link)).status_code == 404  # revoked: the code is gone
    link = _invite(client, emu_server, team_id, owner["id"], "bob@example.com")
    bob = app.test_client()
    bob_user = stackauth_login(bob, "bob@example.com")
    assert post(bob, "/auth/team-invitation", {"code": code_of(link)}, page=local(link)).status_code == 303
    # Bob has $read_members (a member's default) but not $remove_members: no button, and Stack refuses.
    bob_page = text(bob.get(page))
    assert "Remove</button>" not in bob_page and "Members" in bob_page
    refused = post(bob, f"{page}/members/{owner['id']}/remove", page=page)
    assert refused.status_code == 403 and "do not have the permission" in text(refused)
    removed = post(client, f"{page}/members/{bob_user['id']}/remove", page=page)
    assert removed.status_code == 303
    assert bob.get(page).status_code == 404  # no longer a member
    left = post(client, f"{page}/leave", page=page)
    assert left.status_code == 303 and left.headers["Location"] == TEAMS
    assert client.get(page).status_code == 404


def test_forged_team_posts_are_refused(client: Any, emu_server: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    team_id = _create(client)
    token = csrf(client, TEAMS)
    for path in (f"{TEAMS}/create", f"{TEAMS}/select", f"{TEAMS}/{team_id}/leave", f"{TEAMS}/{team_id}/invite"):
        assert client.post(path, data={"csrf_token": "x", "display_name": "y"}).status_code == 403, path
        crossed = client.post(path, data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
        assert crossed.status_code == 403, path
    assert client.get(f"{TEAMS}/{team_id}").status_code == 200  # still a member


def test_python_api_create_select_leave(client: Any, emu_server: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    made = client.post("/py/create_team", data={"name": "Py"}).json
    assert made["selected"] == made["id"]
    assert client.post("/py/select_team", data={"team_id": ""}).json == {"selected": None}
    assert client.post("/py/select_team", data={"team_id": made["id"]}).json == {"selected": made["id"]}
    left = client.post("/py/leave_team", data={"team_id": made["id"]}).json
    assert made["id"] not in left["teams"] and left["selected"] is None
    again = client.post("/py/leave_team", data={"team_id": made["id"]})
    assert again.status_code == 400 and again.json["error"] == "TeamMembershipNotFound"
