"""The emulator console at /_emulator/ and the mock provider page, over real HTTP."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from example_app import create_app
from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.console import ConsoleApp, register_app
from flask_stackauth.testing import emulator_config
from tests.emulator.emu_support import client_headers, query_of, sign_in

CONSOLE_PAGES = ["/_emulator/", "/_emulator/console/users", "/_emulator/console/sessions",
                 "/_emulator/console/inbox", "/_emulator/console/teams", "/_emulator/console/webhooks"]


def _post(server: EmulatorServer, path: str, data: dict[str, str] | None = None, **headers: str) -> requests.Response:
    """A form post as the console's own pages send it (same origin)."""
    return requests.post(f"{server.url}{path}", data=data or {}, allow_redirects=False,
                         headers={"Origin": server.url, "Sec-Fetch-Site": "same-origin", **headers})


def _page(server: EmulatorServer, path: str) -> str:
    answer = requests.get(f"{server.url}{path}")
    assert answer.status_code == 200, path
    return answer.text


def test_every_console_page_is_html_styled_and_linked_from_the_nav(server: EmulatorServer) -> None:
    for path in CONSOLE_PAGES:
        answer = requests.get(f"{server.url}{path}")
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/html; charset=utf-8", path
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in answer.text
        assert "prefers-color-scheme: dark" in answer.text and "<script" not in answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        assert f'href="{path}" aria-current="page"' in answer.text
    overview = _page(server, "/_emulator")
    assert server.url in overview and server.project_id in overview and "Fail the next requests" in overview


def test_the_console_is_no_part_of_an_app_using_the_extension(server: EmulatorServer) -> None:
    client = create_app({**emulator_config(server), "TESTING": True}).test_client()
    assert client.get("/_emulator/").status_code == 404


def test_create_edit_and_delete_a_user(server: EmulatorServer, emu: Emulator) -> None:
    created = _post(server, "/_emulator/console/users",
                    {"email": "ada@example.com", "display_name": "Ada", "password": "password123",
                     "email_verified": "1"})
    assert created.status_code == 303
    page_url = created.headers["Location"]
    user_id = re.search(r"/console/users/([0-9a-f-]+)\?done=user-created$", page_url).group(1)  # type: ignore[union-attr]
    user = emu.data.users[user_id]
    assert user.primary_email == "ada@example.com" and user.display_name == "Ada" and user.primary_email_verified
    assert "User created." in _page(server, page_url)
    assert "ada@example.com" in _page(server, "/_emulator/console/users")

    saved = _post(server, f"/_emulator/console/users/{user_id}",
                  {"display_name": "Ada Lovelace", "email": "ada@lovelace.example"})
    assert saved.status_code == 303
    assert user.display_name == "Ada Lovelace" and user.primary_email == "ada@lovelace.example"
    assert not user.primary_email_verified  # the box was not ticked

    session = emu.create_session(user_id)
    deleted = _post(server, f"/_emulator/console/users/{user_id}/delete")
    assert deleted.status_code == 303 and deleted.headers["Location"].endswith("/console/users?done=user-deleted")
    assert user_id not in emu.data.users and emu.valid_session(session["refresh_token"]) is None
    gone = requests.get(f"{server.url}/_emulator/console/users/{user_id}")
    assert gone.status_code == 404 and "No such user" in gone.text


def test_bad_user_forms_get_a_message_and_change_nothing(server: EmulatorServer, emu: Emulator) -> None:
    emu.create_user("taken@example.com")
    for form, status, message in (
            ({"email": "not an email"}, 400, "Enter a valid email address"),
            ({"email": "taken@example.com"}, 409, "Another user already has the email taken@example.com."),
            ({"email": "new@example.com", "password": "short"}, 400, "at least 8 characters"),
            ({"email": "new@example.com", "display_name": "x" * 300}, 400, "at most 256 characters")):
        answer = _post(server, "/_emulator/console/users", form)
        assert answer.status_code == status and message in answer.text, form
        assert "short" not in answer.text or "password" not in form
    assert [u.primary_email for u in emu.data.users.values()] == ["taken@example.com"]


def test_sessions_are_listed_and_revoked(server: EmulatorServer, emu: Emulator) -> None:
    tokens = sign_in(server, "ses@example.com")
    page = _page(server, "/_emulator/console/sessions")
    assert "ses@example.com" in page and tokens["refresh_token"] not in page  # tokens never shown in lists
    (session_id,) = emu.data.sessions
    revoked = _post(server, f"/_emulator/console/sessions/{session_id}/revoke")
    assert revoked.status_code == 303
    assert emu.valid_session(tokens["refresh_token"]) is None
    assert "Session revoked" in _page(server, revoked.headers["Location"])
    again = _post(server, f"/_emulator/console/sessions/{session_id}/revoke")
    assert again.status_code == 404 and "No such session" in again.text


def test_inbox_shows_each_sign_in_email_with_its_link_and_code(server: EmulatorServer) -> None:
    sent = requests.post(f"{server.url}/api/v1/auth/otp/send-sign-in-code", headers=client_headers(server),
                         json={"email": "otp@example.com", "callback_url": "http://localhost:5000/auth/otp/callback"})
    assert sent.status_code == 200
    (mail,) = requests.get(f"{server.url}/_emulator/emails").json()["items"]
    assert "code" not in mail and len(mail["link_code"]) == 45 and len(mail["otp"]) == 6
    assert mail["link"] == f"http://localhost:5000/auth/otp/callback?code={mail['link_code']}"
    inbox = _page(server, "/_emulator/console/inbox")
    assert "otp@example.com" in inbox and f'<span class="otp">{mail["otp"]}</span>' in inbox
    assert f'href="{mail["link"]}">Open the sign-in link</a>' in inbox


def test_controls_as_buttons(server: EmulatorServer, emu: Emulator) -> None:
    assert _post(server, "/_emulator/console/clock", {"seconds": "3600"}).status_code == 303
    assert emu.clock_offset == 3600
    assert _post(server, "/_emulator/console/lifetime", {"seconds": "30"}).status_code == 303
    assert emu.access_token_lifetime == 30
    generation = emu.keys.generation
    assert _post(server, "/_emulator/console/rotate-keys").status_code == 303
    assert emu.keys.generation == generation + 1
    assert _post(server, "/_emulator/console/faults",
                 {"mode": "503", "count": "1", "path": "/api/v1/projects"}).status_code == 303
    assert "next 1 \N{MULTIPLICATION SIGN} <code>503</code>" in _page(server, "/_emulator/")
    assert requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server)).status_code == 503
    assert requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server)).status_code == 200
    _post(server, "/_emulator/console/faults", {"mode": "500", "count": "5"})
    assert _post(server, "/_emulator/console/faults/clear").status_code == 303 and emu.data.faults == []
    assert _post(server, "/_emulator/console/legacy", {"enabled": "1"}).status_code == 303 and emu.legacy_tokens
    assert "v2.7 mode" in _page(server, "/_emulator/")
    emu.create_user("gone@example.com")
    assert _post(server, "/_emulator/console/reset").status_code == 303
    assert emu.data.users == {} and emu.clock_offset == 0 and not emu.legacy_tokens


@pytest.mark.parametrize(("path", "form", "message"), [
    ("/_emulator/console/clock", {"seconds": "soon"}, "Seconds must be a number."),
    ("/_emulator/console/clock", {"seconds": "-5"}, "Seconds must be between"),
    ("/_emulator/console/lifetime", {}, "Seconds must be a number."),
    ("/_emulator/console/faults", {"mode": "explode", "count": "1"}, "Mode must be one of"),
    ("/_emulator/console/faults", {"mode": "500", "count": "1", "path": "/users"}, "Path must start with /api/"),
])
def test_bad_control_forms_are_400_pages(server: EmulatorServer, emu: Emulator, path: str, form: dict[str, str],
                                         message: str) -> None:
    answer = _post(server, path, form)
    assert answer.status_code == 400 and message in answer.text and "card" in answer.text
    assert emu.clock_offset == 0 and emu.data.faults == [] and emu.access_token_lifetime == 600


def test_cross_site_posts_are_refused(server: EmulatorServer, emu: Emulator) -> None:
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site", "Origin": server.url},
                    {"Sec-Fetch-Site": "cross-site", "Origin": server.url}):
        answer = requests.post(f"{server.url}/_emulator/console/clock", data={"seconds": "60"}, headers=headers,
                               allow_redirects=False)
        assert answer.status_code == 403 and "Cross-site request refused" in answer.text, headers
        # The JSON controls too: a page could post text/plain JSON to them.
        reset = requests.post(f"{server.url}/_emulator/clock", data='{"advance": 60}', headers=headers)
        assert reset.status_code == 403, headers
        # Every control blueprint, not only the first one.
        for path, body in (("/_emulator/project", '{"sign_up_enabled": false}'),
                           ("/_emulator/account-settings", '{"seat_limit": 1}'),
                           ("/_emulator/webhooks/endpoints", '{"url": "http://127.0.0.1:9/hook"}')):
            assert requests.post(f"{server.url}{path}", data=body, headers=headers).status_code == 403, (path, headers)
    assert emu.project.sign_up_enabled and emu.webhooks.endpoints() == []
    assert emu.clock_offset == 0
    # The console's own no-referrer pages post with Origin "null" but Sec-Fetch-Site "same-origin".
    own = requests.post(f"{server.url}/_emulator/console/clock", data={"seconds": "60"}, allow_redirects=False,
                        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 303 and emu.clock_offset == 60
    # Scripts and test clients send no Origin and keep working.
    assert requests.post(f"{server.url}/_emulator/clock", json={"advance": 1}).status_code == 200


def test_teams_page_lists_members_and_their_permissions(server: EmulatorServer) -> None:
    sign_in(server, "lead@example.com")
    teams = _page(server, "/_emulator/console/teams")
    assert "lead@example.com&#39;s Team" in teams and "$read_members" in teams and "$update_team" in teams


@pytest.fixture
def console_app(server: EmulatorServer) -> Iterator[ConsoleApp]:
    app = ConsoleApp("Example app", "http://127.0.0.1:5999/auth/login?next=/dashboard",
                     api_url="http://127.0.0.1:5999/api/notes")
    register_app(server.emulator, app)
    yield app
    server.emulator.wsgi_app.config["EMULATOR_CONSOLE_APPS"].remove(app)


def test_sign_in_as_sends_the_browser_through_the_apps_sign_in_answered_at_once(
        server: EmulatorServer, emu: Emulator, console_app: ConsoleApp) -> None:
    user = emu.create_user("imp@example.com")
    page = _page(server, f"/_emulator/console/users/{user['id']}")
    assert "Sign in to Example app" in page
    answer = _post(server, f"/_emulator/console/users/{user['id']}/sign-in-as", {"app": "0", "provider": "github"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "http://127.0.0.1:5999/auth/login?next=%2Fdashboard&provider=github"
    # The app would now start its OAuth flow; the mock provider answers it without showing the form, once.
    auth = {"client_id": "github", "redirect_uri": "http://127.0.0.1:5999/cb", "state": "s1"}
    at_once = requests.get(f"{server.url}/mock-oauth/auth", params=auth, allow_redirects=False)
    location = at_once.headers["Location"]
    assert at_once.status_code == 303 and location.startswith("http://127.0.0.1:5999/cb?")
    assert emu.data.provider_codes[query_of(location)["code"]].email == "imp@example.com"
    shown = requests.get(f"{server.url}/mock-oauth/auth", params=auth, allow_redirects=False)
    assert "/mock-oauth/interaction/" in shown.headers["Location"]


def test_sign_in_as_refuses_what_it_cannot_do(server: EmulatorServer, emu: Emulator,
                                              console_app: ConsoleApp) -> None:
    nameless = emu.create_user(None)
    assert "No email, so no provider login" in _page(server, f"/_emulator/console/users/{nameless['id']}")
    refused = _post(server, f"/_emulator/console/users/{nameless['id']}/sign-in-as", {"app": "0", "provider": "github"})
    assert refused.status_code == 400
    user = emu.create_user("x@example.com")
    for form in ({"app": "7", "provider": "github"}, {"app": "0", "provider": "myspace"}):
        assert _post(server, f"/_emulator/console/users/{user['id']}/sign-in-as", form).status_code == 400
    assert "console_login_hint" not in emu.data.ext


def test_get_tokens_mints_an_impersonation_session_whose_token_works(
        server: EmulatorServer, emu: Emulator, console_app: ConsoleApp) -> None:
    user = emu.create_user("tok@example.com")
    answer = _post(server, f"/_emulator/console/users/{user['id']}/tokens")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code class="token" id="access-token">([^<]+)</code>', answer.text).group(1)  # type: ignore[union-attr]
    assert f'curl -H "Authorization: Bearer {token}" http://127.0.0.1:5999/api/notes' in answer.text
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, token))
    assert me.json()["primary_email"] == "tok@example.com"
    (session,) = emu.data.sessions.values()
    assert session.is_impersonation


def test_webhook_page_shows_endpoints_and_each_delivery_with_its_answer(server: EmulatorServer) -> None:
    assert "No webhook endpoints registered" in _page(server, "/_emulator/console/webhooks")
    answers = iter([500, 204])

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(next(answers))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
        server.add_webhook_endpoint(url, event_types=["user.created"])
        server.emulator.create_user("hooked@example.com")
        assert server.wait_for_webhooks(10)
        page = _page(server, "/_emulator/console/webhooks")
    finally:
        receiver.shutdown()
    assert url in page and "user.created" in page
    # Newest first: the retry that succeeded, then the first attempt that got a 500.
    assert page.index('<span class="tag ok">204</span>') < page.index('<span class="tag warn">500</span>')
    assert "attempt 2" in page and "attempt 1" in page


def test_mock_provider_page_is_styled_and_named_after_the_provider(server: EmulatorServer) -> None:
    for provider, name in (("github", "GitHub"), ("google", "Google"), ("microsoft", "Microsoft")):
        answer = requests.get(f"{server.url}/mock-oauth/auth",
                              params={"client_id": provider, "redirect_uri": "http://localhost/cb", "state": "s"})
        assert answer.status_code == 200
        assert f"<title>Sign in with {name} (mock)</title>" in answer.text and f"<h1>{name}</h1>" in answer.text
        assert 'name="viewport"' in answer.text and "system-ui" in answer.text


def test_mock_provider_login_without_email_is_a_styled_400(server: EmulatorServer) -> None:
    start = requests.get(f"{server.url}/mock-oauth/auth",
                         params={"client_id": "github", "redirect_uri": "http://localhost/cb", "state": "s"})
    action = re.search(r'action="(/mock-oauth/interaction/[^"]+/login)"', start.text).group(1)  # type: ignore[union-attr]
    answer = requests.post(f"{server.url}{action}", data={"login": "  "})
    assert answer.status_code == 400 and "Enter an email address." in answer.text and "<h1>GitHub</h1>" in answer.text


def test_the_console_uses_the_emulator_clock_for_dates(server: EmulatorServer, emu: Emulator) -> None:
    emu.create_user("when@example.com")
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>", _page(server, "/_emulator/console/users"))
