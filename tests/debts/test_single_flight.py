"""Single-flight refresh, the cases that had no test: a refusal and an outage handed to every waiter, and a
server that rotates the refresh token. Concurrency is real: a threaded server on a loopback port.

A waiter timing out (it waits twice ``STACK_HTTP_TIMEOUT``) cannot be reached over HTTP any more: since every
call has a total deadline of ``STACK_HTTP_TIMEOUT``, the leader always finishes first and hands its outage on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.helpers import age_session, session_tokens, sign_in

TOKEN = "/api/v1/auth/oauth/token"


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(app)``: the app on a threaded loopback server; returns its base URL."""
    servers: list[Any] = []

    def start(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def _hit(base: str, cookie: str) -> tuple[int, str | None]:
    answer = requests.get(f"{base}/protected", headers={"Cookie": f"session={cookie}", "Accept": "application/json"},
                          timeout=30)
    return answer.status_code, answer.json().get("token_sha")


def _in_parallel(n: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        result = call()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_refused_refresh_is_handed_to_every_waiter(stackauth_config: dict[str, Any], emu: Any,
                                                     serve: Any) -> None:
    app = make_app(stackauth_config)
    client = app.test_client()
    sign_in(client)
    age_session(client, 5)
    tokens = session_tokens(client)
    assert tokens is not None
    emu.revoke_refresh_token(tokens.refresh_token)
    emu.fail_next(1, path=TOKEN, mode="hang", delay=1.5)  # the leader's call is slow: the others queue behind it
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    base = serve(app)
    before = emu.calls("POST", TOKEN)
    results = _in_parallel(6, lambda: _hit(base, cookie))
    assert [status for status, _ in results] == [401] * 6  # every waiter got the leader's refusal
    assert emu.calls("POST", TOKEN) - before == 1


def test_an_outage_is_handed_to_every_waiter_who_keeps_its_token(stackauth_config: dict[str, Any], emu: Any,
                                                                  serve: Any, caplog: Any) -> None:
    # The leader's call hangs past STACK_HTTP_TIMEOUT (a total deadline per call). Waiters wait up to twice
    # that, so they get the leader's outage rather than timing out; nobody is signed out.
    app = make_app({**stackauth_config, "STACK_HTTP_TIMEOUT": 1})
    client = app.test_client()
    sign_in(client)
    old = client.get("/protected").json["token_sha"]
    age_session(client, 10)  # due for a refresh (leeway 20 s) but still good for a while
    cookie = client.get_cookie("session").value  # type: ignore[union-attr]
    base = serve(app)
    emu.fail_next(1, path=TOKEN, mode="hang", delay=3)
    before = emu.calls("POST", TOKEN)
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        results = _in_parallel(4, lambda: _hit(base, cookie))
    assert results == [(200, old)] * 4  # served with the token they have: not a 503, not a sign-out
    assert emu.calls("POST", TOKEN) - before == 1
    assert caplog.text.count("could not refresh the access token") == 4
    assert "Timed out waiting" not in caplog.text


def test_a_server_that_rotates_the_refresh_token(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                 emu: Any) -> None:
    app = make_app(stackauth_config)
    tab = app.test_client()
    sign_in(tab, "rotate@example.com")
    first = session_tokens(tab)
    assert first is not None
    age_session(tab, 5)
    other_tab = app.test_client()  # a second request that still carries the cookie from before the refresh
    other_tab.set_cookie("session", tab.get_cookie("session").value)  # type: ignore[union-attr]
    user_id = emu.decode_token_claims(first.access_token)["sub"]
    rotated = emu.create_session(user_id)  # the pair a rotating server would answer with
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(stackauth_emulator.url + "/api/v1/projects")
        mock.add_passthru(stackauth_emulator.url + "/api/v1/users")
        mock.add(responses.POST, stackauth_emulator.url + TOKEN, json={
            "access_token": rotated["access_token"], "refresh_token": rotated["refresh_token"],
            "token_type": "Bearer", "expires_in": 600})
        refreshed = tab.get("/protected")
        again = other_tab.get("/protected")
        assert len(mock.calls) == 1  # the second request reused the refresh, not the spent refresh token
    assert refreshed.status_code == again.status_code == 200
    assert refreshed.json["token_sha"] == again.json["token_sha"]
    for client in (tab, other_tab):
        now = session_tokens(client)
        assert now is not None and now.refresh_token == rotated["refresh_token"]
    # The next refresh uses the rotated token, which the server knows.
    age_session(tab, 5)
    assert tab.get("/protected").status_code == 200
    assert session_tokens(tab).refresh_token == rotated["refresh_token"]  # type: ignore[union-attr]
