"""The emulator delivers real Svix-signed webhooks over HTTP to the app under test, served on a loopback port."""

from __future__ import annotations

from typing import Any

import requests

from flask_stackauth import ServerUser, StackAuth, Team, TeamCreated, UserCreated, UserDeleted, webhook_received
from tests.backend.conftest import SECRET, serve


def _server(stackauth_emulator: Any) -> dict[str, str]:
    return {"x-stack-access-type": "server", "x-stack-project-id": stackauth_emulator.project_id,
            "x-stack-secret-server-key": stackauth_emulator.secret_server_key}


def test_user_created_through_the_server_api_reaches_the_handler_once_as_a_server_user(
        stackauth_emulator: Any, make_webhook_app: Any) -> None:
    app, recorder = make_webhook_app()
    with serve(app) as base:
        stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET)
        answer = requests.post(f"{stackauth_emulator.url}/api/v1/users", headers=_server(stackauth_emulator),
                               json={"primary_email": "hook@example.com", "display_name": "Hook"}, timeout=10)
        assert answer.status_code == 201
        assert stackauth_emulator.wait_for_webhooks(10)
    created = recorder.of("user.created")
    assert len(created) == 1
    event = created[0]
    assert isinstance(event, UserCreated)
    assert isinstance(event.data, ServerUser)
    assert event.data.id == answer.json()["id"]
    assert event.data.primary_email == "hook@example.com"
    assert event.id.startswith("msg_")
    # The personal team's team.created comes too (before user.created, as on real servers), typed.
    teams = recorder.of("team.created")
    assert teams and isinstance(teams[0], TeamCreated) and isinstance(teams[0].data, Team)
    deliveries = stackauth_emulator.webhook_deliveries(event_type="user.created")
    assert [d["status"] for d in deliveries] == [204]


def test_the_same_message_twice_runs_handlers_once_and_answers_200(
        stackauth_emulator: Any, make_webhook_app: Any) -> None:
    # Svix gives a message the same id on every endpoint: two endpoints at one app are a real duplicate.
    app, recorder = make_webhook_app()
    with serve(app) as base:
        first = stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET,
                                                        event_types=["user.created"])
        second = stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET,
                                                         event_types=["user.created"])
        stackauth_emulator.emulator.create_user("twice@example.com")
        assert stackauth_emulator.wait_for_webhooks(10)
    assert len(recorder.of("user.created")) == 1
    statuses = sorted(d["status"] for d in stackauth_emulator.webhook_deliveries()
                      if d["endpoint_id"] in (first["id"], second["id"]))
    assert statuses in ([200, 204], [204, 409])  # 409: the copy came while the first was still running


def test_a_failing_handler_answers_500_and_the_retry_runs_it_again(
        stackauth_emulator: Any, stackauth_config: dict[str, Any], caplog: Any) -> None:
    from flask import Flask

    app = Flask("flaky")
    app.config.update(SECRET_KEY="k" * 40, **stackauth_config, STACK_WEBHOOK_SECRET=SECRET)
    stack = StackAuth(app)
    calls: list[str] = []

    @stack.on("user.created")
    def flaky(event: UserCreated) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("database is down")

    requests.post(f"{stackauth_emulator.url}/_emulator/webhooks/settings", json={"retry_delays": [0.05, 0.05]},
                  timeout=5)
    with serve(app) as base:
        stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET,
                                                event_types=["user.created"])
        stackauth_emulator.emulator.create_user("flaky@example.com")
        assert stackauth_emulator.wait_for_webhooks(10)
    assert len(calls) == 2 and calls[0] == calls[1]
    assert [d["status"] for d in stackauth_emulator.webhook_deliveries()] == [500, 204]
    failures = [r for r in caplog.records if "webhook handler failed" in r.getMessage()]
    assert len(failures) == 1 and calls[0] in failures[0].getMessage()


def test_a_deleted_user_sends_user_deleted_with_its_teams_and_the_signal_fires(
        stackauth_emulator: Any, make_webhook_app: Any) -> None:
    app, recorder = make_webhook_app()
    signalled: list[Any] = []

    def on_signal(sender: Any, event: Any) -> None:
        signalled.append(event)

    webhook_received.connect(on_signal, app)
    user = stackauth_emulator.emulator.create_user("gone@example.com")
    with serve(app) as base:
        stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET)
        answer = requests.delete(f"{stackauth_emulator.url}/api/v1/users/{user['id']}",
                                 headers=_server(stackauth_emulator), timeout=10)
        assert answer.status_code == 200
        assert stackauth_emulator.wait_for_webhooks(10)
    deleted = recorder.of("user.deleted")
    assert len(deleted) == 1 and isinstance(deleted[0], UserDeleted)
    assert deleted[0].data.id == user["id"]
    assert {e.id for e in signalled} == {e.id for e in recorder.events}


def test_webhook_header_style_deliveries_verify_too(stackauth_emulator: Any, make_webhook_app: Any) -> None:
    app, recorder = make_webhook_app()
    with serve(app) as base:
        stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET, header_style="webhook",
                                                event_types=["user.created"])
        stackauth_emulator.emulator.create_user("std@example.com")
        assert stackauth_emulator.wait_for_webhooks(10)
    assert len(recorder.of("user.created")) == 1
