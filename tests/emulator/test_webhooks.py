"""The emulator's webhooks: Svix-signed POSTs to a real loopback receiver, with the recorded payloads and quirks."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from emu_support import client_headers, load_recording, password_user, server_headers, sign_in
from standardwebhooks import Webhook

from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.teams import define_permission
from flask_stackauth.emulator.webhooks import DEV_WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """A tiny threaded HTTP server recording every POST; answers the queued statuses, then 204."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.hold = threading.Event()
        self.hold.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.received.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body, "path": self.path})
                receiver.arrived.set()
                receiver.hold.wait(10)
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.received]

    def close(self) -> None:
        self.hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def verify(secret: str, delivery: dict[str, Any]) -> Any:
    """Verify a delivery with the standardwebhooks library (Svix's header names mapped to its own)."""
    h = delivery["headers"]
    headers = {"webhook-id": h["svix-id"], "webhook-timestamp": h["svix-timestamp"],
               "webhook-signature": h["svix-signature"]}
    return Webhook(secret).verify(delivery["body"], headers)


def _api(server: EmulatorServer, method: str, path: str, body: Any = None) -> Any:
    resp = requests.request(method, server.url + path, json=body if body is not None else {},
                            headers=server_headers(server), timeout=10)
    assert resp.status_code < 300, resp.text
    return resp.json()


def _wait(server: EmulatorServer) -> None:
    assert server.wait_for_webhooks(10)


def test_signed_delivery_verifies_with_the_library(server: EmulatorServer, receiver: Receiver) -> None:
    endpoint = server.add_webhook_endpoint(receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    user = _api(server, "POST", "/api/v1/users", {"primary_email": "hook@example.com", "display_name": "Hook"})
    _wait(server)
    created = [r for r in receiver.received if json.loads(r["body"])["type"] == "user.created"]
    assert len(created) == 1
    event = verify(endpoint["secret"], created[0])
    assert event["data"]["id"] == user["id"]
    assert created[0]["headers"]["svix-id"].startswith("msg_")
    assert created[0]["headers"]["content-type"] == "application/json"
    # Another endpoint's secret does not verify it.
    other = server.add_webhook_endpoint(receiver.url)
    with pytest.raises(Exception, match="signature"):
        verify(other["secret"], created[0])


def _recorded_steps(version: str) -> dict[str, Any]:
    data = load_recording(version, "webhooks-result.json")
    if data is None:
        pytest.skip("recordings not available")
    return data


def _shape(messages: list[dict[str, Any]]) -> Counter[tuple[str, tuple[str, ...]]]:
    return Counter((m["type"], tuple(sorted(m["data"]))) for m in messages)


def _run_recorded_scenario(server: EmulatorServer, receiver: Receiver) -> dict[str, list[dict[str, Any]]]:
    """The triggers of webhooks-result.json, in its order; the events each one caused."""
    legacy = server.emulator.legacy_tokens
    if not legacy:
        define_permission(server.emulator, "harness_viewer")
    server.add_webhook_endpoint(receiver.url)
    steps: dict[str, list[dict[str, Any]]] = {}

    def step(name: str, method: str, path: str, body: Any = None, *, expect: int | None = None) -> Any:
        before = len(receiver.received)
        resp = requests.request(method, server.url + path, json=body if body is not None else {},
                                headers=server_headers(server), timeout=10)
        if expect is not None:
            assert resp.status_code == expect, resp.text
        _wait(server)
        steps[name] = receiver.events()[before:]
        return resp.json() if resp.headers.get("content-type", "").startswith("application/json") else None

    user = step("user.created via POST /users", "POST", "/api/v1/users",
                {"primary_email": "webhook-a@example.com", "primary_email_auth_enabled": True,
                 "display_name": "Webhook A"})
    uid = user["id"]
    step("user.updated via PATCH /users/{id}", "PATCH", f"/api/v1/users/{uid}",
         {"display_name": "Webhook A renamed", "client_metadata": {"k": 1}})
    team = step("team.created via POST /teams", "POST", "/api/v1/teams", {"display_name": "Webhook team 1"})
    tid = team["id"]
    step("team.updated via PATCH /teams/{id}", "PATCH", f"/api/v1/teams/{tid}",
         {"display_name": "Webhook team 1 renamed", "server_metadata": {"s": True}})
    step("team_membership.created via POST /team-memberships/{team}/{user}", "POST",
         f"/api/v1/team-memberships/{tid}/{uid}")
    step("team_permission.created via POST /team-permissions/{team}/{user}/$read_members", "POST",
         f"/api/v1/team-permissions/{tid}/{uid}/$read_members")
    step("team_permission.deleted via DELETE /team-permissions/{team}/{user}/$read_members", "DELETE",
         f"/api/v1/team-permissions/{tid}/{uid}/$read_members")
    if not legacy:
        step("project_permission.created via POST /project-permissions/{user}/harness_viewer", "POST",
             f"/api/v1/project-permissions/{uid}/harness_viewer")
        step("project_permission.deleted via DELETE /project-permissions/{user}/harness_viewer", "DELETE",
             f"/api/v1/project-permissions/{uid}/harness_viewer")
    step("team_membership.deleted via DELETE /team-memberships/{team}/{user}", "DELETE",
         f"/api/v1/team-memberships/{tid}/{uid}")
    team2 = step("team.created via POST /teams with creator_user_id", "POST", "/api/v1/teams",
                 {"display_name": "Webhook team 2 (with creator)", "creator_user_id": uid})
    step("team.deleted via DELETE /teams/{id}", "DELETE", f"/api/v1/teams/{tid}")
    step("user.deleted via DELETE /users/{id} (member of teams)", "DELETE", f"/api/v1/users/{uid}")
    step("team.deleted via DELETE /teams/{id} (team whose only member was deleted)", "DELETE",
         f"/api/v1/teams/{team2['id']}")
    return steps


@pytest.mark.parametrize("which", ["server", "legacy_server"])
def test_each_trigger_sends_the_recorded_events(which: str, receiver: Receiver,
                                                request: pytest.FixtureRequest) -> None:
    server: EmulatorServer = request.getfixturevalue(which)
    server.emulator.reset()
    version = "v2.7.16" if which == "legacy_server" else "v2.8.86"
    recorded = _recorded_steps(version)
    steps = _run_recorded_scenario(server, receiver)
    for name, got in steps.items():
        expected = [m["payload"] for m in recorded[name]["messages"]]
        if name.startswith("team_membership.created") and version == "v2.8.86":
            # The recorded project's default member permission is "team_member"; the emulator's is
            # "$read_members": same event, another id.
            assert {m["data"]["id"] for m in got if m["type"] == "team_permission.created"} == {"$read_members"}
        assert _shape(got) == _shape(expected), name
        # Every payload is exactly {type, data}.
        assert all(set(m) == {"type", "data"} for m in got)


def test_v28_user_created_has_no_personal_team_yet(server: EmulatorServer, receiver: Receiver) -> None:
    server.add_webhook_endpoint(receiver.url)
    created = _api(server, "POST", "/api/v1/users", {"primary_email": "p@example.com"})
    _wait(server)
    events = {e["type"]: e["data"] for e in receiver.events()}
    assert events["user.created"]["selected_team"] is None
    assert events["user.created"]["selected_team_id"] is None
    assert created["selected_team_id"] is None or events["team.created"]["id"]
    assert events["team.created"]["display_name"] == "p@example.com's Team"


def test_oauth_sign_up_user_created_per_version(server: EmulatorServer, legacy_server: EmulatorServer,
                                                receiver: Receiver) -> None:
    for srv, providers in ((server, 0), (legacy_server, 1)):
        srv.add_webhook_endpoint(receiver.url)
        before = len(receiver.received)
        sign_in(srv, f"oauth-{providers}@example.com")
        _wait(srv)
        created = [e["data"] for e in receiver.events()[before:] if e["type"] == "user.created"]
        # v2.8 sends the user before its OAuth account is attached; v2.7 after.
        assert len(created) == 1 and len(created[0]["oauth_providers"]) == providers


def test_user_deletion_sends_one_membership_deletion_per_team(server: EmulatorServer, receiver: Receiver) -> None:
    user = _api(server, "POST", "/api/v1/users", {"primary_email": "two-teams@example.com"})
    extra = _api(server, "POST", "/api/v1/teams", {"display_name": "Second", "creator_user_id": user["id"]})
    server.add_webhook_endpoint(receiver.url)
    _api(server, "DELETE", f"/api/v1/users/{user['id']}")
    _wait(server)
    events = receiver.events()
    memberships = [e["data"] for e in events if e["type"] == "team_membership.deleted"]
    deleted = [e["data"] for e in events if e["type"] == "user.deleted"]
    assert len(memberships) == 2 and {m["team_id"] for m in memberships} >= {extra["id"]}
    assert deleted == [{"id": user["id"], "teams": [{"id": m["team_id"]} for m in memberships]}]


def test_client_paths_emit_too(server: EmulatorServer, receiver: Receiver) -> None:
    """Sign-up and PATCH /users/me (client routes) emit through the same state hook."""
    server.add_webhook_endpoint(receiver.url)
    tokens = password_user(server, "client-path@example.com")
    requests.patch(f"{server.url}/api/v1/users/me", json={"display_name": "Me"},
                   headers=client_headers(server, tokens["access_token"]), timeout=10).raise_for_status()
    _wait(server)
    types = [e["type"] for e in receiver.events()]
    assert Counter(types) == Counter(["user.created", "team.created", "user.updated"])
    assert receiver.events()[-1]["data"]["display_name"] == "Me"


def test_a_repeated_grant_is_sent_twice(server: EmulatorServer, receiver: Receiver) -> None:
    user = _api(server, "POST", "/api/v1/users", {"primary_email": "grant@example.com"})
    team = _api(server, "POST", "/api/v1/teams", {"display_name": "G", "creator_user_id": user["id"]})
    server.add_webhook_endpoint(receiver.url, event_types=["team_permission.created"])
    path = f"/api/v1/team-permissions/{team['id']}/{user['id']}/$invite_members"
    _api(server, "POST", path)
    _api(server, "POST", path)
    _wait(server)
    assert [e["type"] for e in receiver.events()] == ["team_permission.created"] * 2
    assert len({r["headers"]["svix-id"] for r in receiver.received}) == 2


def test_a_500_is_retried_with_the_same_message_id(server: EmulatorServer, receiver: Receiver) -> None:
    requests.post(f"{server.url}/_emulator/webhooks/settings", json={"retry_delays": [0.01, 0.02, 0.03]},
                  timeout=10).raise_for_status()
    receiver.statuses = [500, 503]
    endpoint = requests.post(f"{server.url}/_emulator/webhooks/endpoints",
                             json={"url": receiver.url, "event_types": ["team.created"]}, timeout=10).json()
    _api(server, "POST", "/api/v1/teams", {"display_name": "Retry me"})
    assert requests.post(f"{server.url}/_emulator/webhooks/wait", json={"timeout": 10}, timeout=15).json()["idle"]
    attempts = requests.get(f"{server.url}/_emulator/webhooks/deliveries",
                            params={"endpoint_id": endpoint["id"]}, timeout=10).json()["items"]
    assert [(a["attempt"], a["status"], a["ok"]) for a in attempts] == [(1, 500, False), (2, 503, False),
                                                                         (3, 204, True)]
    assert [a["next_retry_in"] for a in attempts] == [0.01, 0.02, None]
    assert len({a["message_id"] for a in attempts}) == 1
    assert len({r["headers"]["svix-id"] for r in receiver.received}) == 1
    for delivery in receiver.received:
        verify(endpoint["secret"], delivery)


def test_attempts_stop_after_the_schedule(server: EmulatorServer, receiver: Receiver) -> None:
    server.emulator.webhooks.configure(retry_delays=[0.01, 0.01])
    receiver.statuses = [500] * 10
    server.add_webhook_endpoint(receiver.url, event_types=["team.created"])
    _api(server, "POST", "/api/v1/teams", {"display_name": "Never"})
    _wait(server)
    attempts = server.webhook_deliveries(event_type="team.created")
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert attempts[-1]["next_retry_in"] is None and not any(a["ok"] for a in attempts)


def test_an_unreachable_receiver_is_recorded_not_raised(server: EmulatorServer) -> None:
    server.emulator.webhooks.configure(retry_delays=[])
    server.add_webhook_endpoint("http://127.0.0.1:9/nothing-listens")
    _api(server, "POST", "/api/v1/teams", {"display_name": "Nobody"})
    _wait(server)
    (attempt,) = server.webhook_deliveries()
    assert attempt["status"] is None and attempt["error"] == "ConnectionError"


def test_the_route_does_not_wait_for_the_receiver(server: EmulatorServer, receiver: Receiver) -> None:
    receiver.hold.clear()  # the receiver keeps every delivery open until released
    server.add_webhook_endpoint(receiver.url)
    resp = requests.post(f"{server.url}/api/v1/teams", json={"display_name": "Quick"},
                         headers=server_headers(server), timeout=5)
    assert resp.status_code == 201
    assert receiver.arrived.wait(5) and not receiver.hold.is_set()  # answered while the delivery hung
    receiver.hold.set()
    _wait(server)


def test_controls_list_remove_and_reset(server: EmulatorServer, receiver: Receiver) -> None:
    base = f"{server.url}/_emulator/webhooks"
    bad = requests.post(f"{base}/endpoints", json={"url": "ftp://x"}, timeout=10)
    assert bad.status_code == 400 and "url" in bad.json()["error"]
    bad = requests.post(f"{base}/endpoints", json={"url": receiver.url, "secret": "nope"}, timeout=10)
    assert bad.status_code == 400
    assert requests.post(f"{base}/settings", json={"retry_delays": [-1]}, timeout=10).status_code == 400
    ep = requests.post(f"{base}/endpoints", json={"url": receiver.url, "secret": DEV_WEBHOOK_SECRET},
                       timeout=10).json()
    assert [e["id"] for e in requests.get(f"{base}/endpoints", timeout=10).json()["items"]] == [ep["id"]]
    _api(server, "POST", "/api/v1/teams", {"display_name": "Logged"})
    _wait(server)
    (message,) = requests.get(f"{base}/messages", timeout=10).json()["items"]
    assert message["payload"]["type"] == "team.created" and message["endpoint_ids"] == [ep["id"]]
    assert requests.delete(f"{base}/endpoints/{ep['id']}", timeout=10).json() == {"success": True}
    assert requests.delete(f"{base}/endpoints/{ep['id']}", timeout=10).status_code == 404
    server.add_webhook_endpoint(receiver.url)
    requests.post(f"{server.url}/_emulator/reset", timeout=10).raise_for_status()
    assert server.emulator.webhooks.endpoints() == [] and server.webhook_messages() == []


def test_v27_sends_no_permission_events(legacy_server: EmulatorServer, receiver: Receiver) -> None:
    user = _api(legacy_server, "POST", "/api/v1/users", {"primary_email": "old@example.com"})
    team = _api(legacy_server, "POST", "/api/v1/teams", {"display_name": "Old"})
    legacy_server.add_webhook_endpoint(receiver.url)
    _api(legacy_server, "POST", f"/api/v1/team-memberships/{team['id']}/{user['id']}")
    _api(legacy_server, "POST", f"/api/v1/team-permissions/{team['id']}/{user['id']}/$read_members")
    _wait(legacy_server)
    assert [e["type"] for e in receiver.events()] == ["team_membership.created"]


def test_command_line_webhook_url(receiver: Receiver) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "flask_stackauth.emulator", "--port", "0", "--webhook-url",
                             receiver.url, "--webhook-retry-delays", "0.05"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stdout = proc.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
        first = lines.get(timeout=60)
        url = first.split()[-1]
        printed = [lines.get(timeout=10) for _ in range(7)]
        assert any(f"webhooks -> {receiver.url} (STACK_WEBHOOK_SECRET={DEV_WEBHOOK_SECRET})" in line
                   for line in printed), printed
        requests.post(f"{url}/_emulator/users", json={"email": "cli@example.com"}, timeout=10).raise_for_status()
        assert receiver.arrived.wait(10)
        assert requests.post(f"{url}/_emulator/webhooks/wait", json={"timeout": 10}, timeout=15).json()["idle"]
        events = [verify(DEV_WEBHOOK_SECRET, d)["type"] for d in receiver.received]
        assert "user.created" in events
        # Endpoints from the command line survive a reset.
        requests.post(f"{url}/_emulator/reset", timeout=10).raise_for_status()
        items = requests.get(f"{url}/_emulator/webhooks/endpoints", timeout=10).json()["items"]
        assert [e["url"] for e in items] == [receiver.url] and items[0]["from_command_line"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_command_line_refuses_a_bad_webhook_url() -> None:
    result = subprocess.run([sys.executable, "-m", "flask_stackauth.emulator", "--webhook-url", "nope"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "url must be an http" in result.stderr
    assert "Traceback" not in result.stderr
