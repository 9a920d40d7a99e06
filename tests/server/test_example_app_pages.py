"""The example app's pages: team pages and switcher, a v2.7 user without a team, the admin table, the notes API."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for

from example_app import create_app, stack
from example_app.__main__ import DEMO_ADMIN, _demo_admin
from example_app.nav import NAV, NavItem
from tests.helpers import sign_in


@pytest.fixture
def example(stackauth_config: dict[str, Any]) -> Flask:
    return create_app({**stackauth_config, "TESTING": True})


@pytest.fixture
def legacy(stackauth_emulator: Any) -> Iterator[Any]:
    emu = stackauth_emulator.emulator
    emu.set_legacy_tokens(True)
    yield emu
    emu.set_legacy_tokens(False)


def _form_token(page: str) -> str:
    match = re.search(r'action="/teams/[^"]+">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no form of the app"
    return match.group(1)


def test_every_page_is_mobile_ready_and_styled(example: Flask, stackauth_login: Any) -> None:
    client = example.test_client()
    assert 'name="viewport"' in client.get("/").get_data(as_text=True)
    stackauth_login(client, "ada@example.com")
    for path in ("/", "/dashboard", "/notes", "/team"):
        page = client.get(path, follow_redirects=True)
        text = page.get_data(as_text=True)
        assert page.status_code == 200, path
        assert 'name="viewport" content="width=device-width, initial-scale=1"' in text, path
        assert "/static/app.css" in text, path
    css = client.get("/static/app.css").get_data(as_text=True)
    assert "prefers-color-scheme: dark" in css


def test_nav_lists_what_the_app_serves_and_keeps_slots_for_later_features(
        example: Flask, stackauth_config: dict[str, Any], stackauth_login: Any) -> None:
    client = example.test_client()
    visitor = client.get("/").get_data(as_text=True)
    assert 'href="/dashboard"' not in visitor and "Sign in" in visitor
    stackauth_login(client, "ada@example.com")
    nav = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/team"' in nav and 'href="/admin"' in nav and 'href="/notes"' in nav
    assert 'aria-current="page">Dashboard' in nav
    # Every entry whose view the app serves is in the bar, linked to that view; an entry whose view is not
    # registered (a feature not landed, or switched off) is left out.
    with example.test_request_context():
        for item in NAV:
            if item.endpoint in example.view_functions:
                assert f'href="{url_for(item.endpoint)}"' in nav, item
            else:
                assert f">{item.label}<" not in nav, item
    assert 'href="/auth/account/api-keys"' in nav
    assert 'href="/auth/account"' in nav
    later = create_app({**stackauth_config, "TESTING": True})
    later.add_url_rule("/later-feature", "later_feature", lambda: "later")
    NAV.append(NavItem("later_feature", "Later feature"))
    try:
        client = later.test_client()
        stackauth_login(client, "ada@example.com")
        assert 'href="/later-feature"' in client.get("/dashboard").get_data(as_text=True)
    finally:
        NAV.pop()


def test_team_page_for_members_only(example: Flask, stackauth_login: Any) -> None:
    client = example.test_client()
    stackauth_login(client, "ada@example.com")
    selected = client.get("/team")
    assert selected.status_code == 302
    page = client.get(selected.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ada@example.com&#39;s Team" in text and ">selected</span>" in text and ">Members</h2>" in text
    assert '<span class="tag">you</span>' in text
    with example.app_context():
        owner = stack.server.users.create(primary_email="other@example.com")
        foreign = stack.server.teams.create(display_name="Foreign", creator_user_id=owner.id)
    assert client.get(f"/teams/{foreign.id}").status_code == 403


def test_create_a_team_and_switch_between_teams(example: Flask, stackauth_login: Any) -> None:
    client = example.test_client()
    stackauth_login(client, "ada@example.com")
    personal = client.get("/team").headers["Location"]
    token = _form_token(client.get(personal).get_data(as_text=True))
    created = client.post("/teams/new", data={"csrf_token": token, "display_name": "Design crew"})
    assert created.status_code == 303
    crew = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "<h1>Design crew</h1>" in crew
    assert '<span class="sr-only"> to ada@example.com&#39;s Team</span>' in crew
    assert client.get("/team").headers["Location"] == created.headers["Location"]
    personal_id = personal.rsplit("/", 1)[1]
    back = client.post("/teams/select", data={"csrf_token": token, "team_id": personal_id})
    assert back.status_code == 303 and client.get("/team").headers["Location"].endswith(personal_id)
    assert '<span class="sr-only"> to Design crew</span>' in client.get(personal).get_data(as_text=True)


def test_team_forms_refuse_bad_input_with_a_styled_page(example: Flask, stackauth_login: Any) -> None:
    client = example.test_client()
    stackauth_login(client, "ada@example.com")
    token = _form_token(client.get("/team", follow_redirects=True).get_data(as_text=True))
    forged = client.post("/teams/new", data={"csrf_token": "forged", "display_name": "X"})
    assert forged.status_code == 400 and "This form expired" in forged.get_data(as_text=True)
    assert "app.css" in forged.get_data(as_text=True)
    empty = client.post("/teams/new", data={"csrf_token": token, "display_name": "  "})
    assert empty.status_code == 400 and "Give the team a name." in empty.get_data(as_text=True)
    foreign = client.post("/teams/select", data={"csrf_token": token, "team_id": "not-mine"})
    assert foreign.status_code == 400 and "not a member of that team" in foreign.get_data(as_text=True)


def test_a_v27_user_without_a_team_gets_a_page_that_offers_to_create_one(
        example: Flask, legacy: Any, stackauth_login: Any) -> None:
    client = example.test_client()
    sign_in(client, "old@example.com")
    page = client.get("/team")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "You have no selected team" in text and "Create a team" in text
    assert 'action="/teams/new"' in text and "app.css" in text
    created = client.post("/teams/new", data={"csrf_token": _form_token(text), "display_name": "Old hands"})
    assert created.status_code == 303
    team = client.get(created.headers["Location"])
    assert team.status_code == 200 and "<h1>Old hands</h1>" in team.get_data(as_text=True)


def test_team_page_reads_the_server_key_from_the_environment(
        stackauth_config: dict[str, Any], stackauth_login: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = dict(stackauth_config)
    monkeypatch.setenv("STACK_SECRET_SERVER_KEY", config.pop("STACK_SECRET_SERVER_KEY"))
    example = create_app({**config, "TESTING": True})
    assert "STACK_SECRET_SERVER_KEY" not in example.config
    client = example.test_client()
    stackauth_login(client, "env@example.com")
    text = client.get("/team", follow_redirects=True).get_data(as_text=True)
    assert ">Members</h2>" in text and "needs <code>STACK_SECRET_SERVER_KEY" not in text


def test_admin_page_needs_the_admin_permission_and_shows_dates(example: Flask, stackauth_login: Any,
                                                                raw: Any) -> None:
    client = example.test_client()
    user = stackauth_login(client, "boss@example.com")
    raw.define("admin")
    denied = client.get("/admin")
    assert denied.status_code == 403 and "admin" in denied.get_data(as_text=True)
    with example.app_context():
        stack.server.permissions.grant(user["id"], "admin")
    page = client.get("/admin")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "boss@example.com" in text
    assert str(user["signed_up_at_millis"]) not in text  # no raw epoch milliseconds
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT[^\"]+\">\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC</time>", text)


@pytest.fixture
def demo_emulator(stackauth_emulator: Any) -> Iterator[Any]:
    """The shared emulator, with the reset hooks ``_demo_admin`` adds taken off again for the other tests."""
    hooks = list(stackauth_emulator.emulator.reset_hooks)
    yield stackauth_emulator
    stackauth_emulator.emulator.reset_hooks[:] = hooks
    stackauth_emulator.emulator.reset()


def test_demo_admin_glue_in_emulator_mode(example: Flask, demo_emulator: Any) -> None:
    _demo_admin(example, demo_emulator)
    admin, visitor = example.test_client(), example.test_client()
    sign_in(admin, DEMO_ADMIN)
    sign_in(visitor, "visitor@example.com")
    assert admin.get("/admin").status_code == 200
    assert visitor.get("/admin").status_code == 403
    # The console's "Reset" keeps the demo working: the permission is defined again.
    demo_emulator.emulator.reset()
    again = example.test_client()
    assert sign_in(again, DEMO_ADMIN).status_code == 302
    assert again.get("/admin").status_code == 200


def test_notes_api_with_a_bearer_token_and_with_the_session(example: Flask, stackauth_login: Any,
                                                            stackauth_bearer: Any) -> None:
    api = example.test_client()
    bearer = {"Authorization": f"Bearer {stackauth_bearer('api@example.com')}"}
    refused = api.get("/api/notes", headers={"Accept": "application/json"})
    assert refused.status_code == 401 and refused.json["code"] == "USER_AUTHENTICATION_REQUIRED"
    added = api.post("/api/notes", json={"title": "  Ship the console  "}, headers=bearer)
    assert added.status_code == 201 and added.json["title"] == "Ship the console"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", added.json["created_at"])
    done = api.patch(f"/api/notes/{added.json['id']}", json={"done": True}, headers=bearer)
    assert done.status_code == 200 and done.json["done"] is True
    listed = api.get("/api/notes", headers=bearer).json
    assert [n["title"] for n in listed["items"]] == ["Ship the console"]
    # Another user's workspace does not see it; the page's session works the same way.
    browser = example.test_client()
    stackauth_login(browser, "someone@example.com")
    assert browser.get("/api/notes").json["items"] == []


def test_notes_api_refuses_bad_bodies_with_json_errors(example: Flask, stackauth_bearer: Any) -> None:
    api = example.test_client()
    bearer = {"Authorization": f"Bearer {stackauth_bearer('api@example.com')}"}
    form = api.post("/api/notes", data={"title": "x"}, headers=bearer)
    assert form.status_code == 415 and form.json["code"] == "JSON_REQUIRED"
    for body, code in (([1], "BODY_NOT_AN_OBJECT"), ({"title": ""}, "TITLE_REQUIRED"),
                       ({"title": "x" * 201}, "TITLE_TOO_LONG"), ({"title": 5}, "TITLE_REQUIRED")):
        answer = api.post("/api/notes", json=body, headers=bearer)
        assert answer.status_code == 400 and answer.json["code"] == code, body
    missing = api.patch("/api/notes/nope", json={"done": True}, headers=bearer)
    assert missing.status_code == 404 and missing.json["code"] == "NOTE_NOT_FOUND"
    assert api.patch("/api/notes/nope", json={"done": "yes"}, headers=bearer).status_code == 400
    unknown = api.get("/api/nothing-here", headers=bearer)
    assert unknown.status_code == 404 and unknown.json["code"] == "NOT_FOUND"


def test_the_dev_servers_access_log_shows_no_codes() -> None:
    from example_app.__main__ import RedactCodes

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /auth/callback?code=s3cr3t-code&state=st4te HTTP/1.1", "302", "-"), None)
    RedactCodes().filter(record)
    line = record.getMessage()
    assert "s3cr3t-code" not in line and "st4te" not in line
    assert "/auth/callback?code=[redacted]&state=[redacted]" in line
