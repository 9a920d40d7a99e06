"""Helpers for the red-team tests: a recording proxy in front of the emulator, teams and grants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient

from flask_stackauth.emulator.account_settings import configure_project
from tests.conftest import make_app
from tests.security.sec2_support import Proxy, proxied_config
from tests.signin.signin_support import server_headers
from tests.teams_mfa.support import APP_URL, post, text

TEAMS = "/auth/teams"


def grant(server: Any, team_id: str, user_id: str, permission: str) -> None:
    """Grant a team permission through the server API."""
    answer = requests.post(f"{server.url}/api/v1/team-permissions/{team_id}/{user_id}/{permission}",
                           headers=server_headers(server), json={}, timeout=10)
    assert answer.status_code in (200, 201), answer.text


def create_team(client: FlaskClient, name: str = "Rocket") -> str:
    """Create a team through the prebuilt page; its id."""
    answer = post(client, f"{TEAMS}/create", {"display_name": name}, page=TEAMS)
    assert answer.status_code == 303, text(answer)
    return str(answer.headers["Location"]).rsplit("/", 1)[1]


def pending_invitations(server: Any, team_id: str) -> list[str]:
    """The ids of a team's pending invitations, read through the server API."""
    answer = requests.get(f"{server.url}/api/v1/team-invitations", params={"team_id": team_id},
                          headers=server_headers(server), timeout=10)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


@contextmanager
def recorded_app(stackauth_config: dict[str, Any], server: Any) -> Iterator[tuple[Flask, list[tuple[str, str]]]]:
    """The test app talking to the emulator through a proxy that records every ``(method, path)`` it forwards."""
    calls: list[tuple[str, str]] = []

    def record(method: str, path: str, body: bytes, upstream: Any) -> None:
        calls.append((method, path.split("?", 1)[0]))
        return None

    server.emulator.project.trusted_domains = [APP_URL]
    configure_project(server.emulator, client_team_creation_enabled=True)
    with Proxy(server.url) as proxy:
        proxy.rewrite = record
        yield make_app(proxied_config(stackauth_config, server, proxy), STACK_APP_URL=APP_URL), calls
