"""The example app's team-only and admin-only pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from example_app import create_app, stack
from example_app.__main__ import DEMO_ADMIN, _demo_admin
from tests.helpers import sign_in


@pytest.fixture
def example(stackauth_config: dict[str, Any]) -> Flask:
    return create_app({**stackauth_config, "TESTING": True})


def test_team_page_for_members_only(example: Flask, stackauth_login: Any) -> None:
    client = example.test_client()
    stackauth_login(client, "ada@example.com")
    nav = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/team"' in nav and 'href="/admin"' in nav
    selected = client.get("/team")
    assert selected.status_code == 302
    page = client.get(selected.headers["Location"])
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ada@example.com&#39;s Team" in text and "(selected)" in text and "<h2>Members</h2>" in text
    with example.app_context():
        owner = stack.server.users.create(primary_email="other@example.com")
        foreign = stack.server.teams.create(display_name="Foreign", creator_user_id=owner.id)
    assert client.get(f"/teams/{foreign.id}").status_code == 403


def test_admin_page_needs_the_admin_permission(example: Flask, stackauth_login: Any, raw: Any) -> None:
    client = example.test_client()
    user = stackauth_login(client, "boss@example.com")
    raw.define("admin")
    denied = client.get("/admin")
    assert denied.status_code == 403 and "admin" in denied.get_data(as_text=True)
    with example.app_context():
        stack.server.permissions.grant(user["id"], "admin")
    page = client.get("/admin")
    assert page.status_code == 200 and "boss@example.com" in page.get_data(as_text=True)


def test_demo_admin_glue_in_emulator_mode(example: Flask, stackauth_emulator: Any) -> None:
    _demo_admin(example, stackauth_emulator)
    admin, visitor = example.test_client(), example.test_client()
    sign_in(admin, DEMO_ADMIN)
    sign_in(visitor, "visitor@example.com")
    assert admin.get("/admin").status_code == 200
    assert visitor.get("/admin").status_code == 403
