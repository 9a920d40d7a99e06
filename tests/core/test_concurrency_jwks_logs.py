"""Single-flight refresh under real concurrency, JWKS caching and rotation, and secrets kept out of logs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from flask_stackauth.tokens import TOKENS_KEY
from tests.conftest import make_app
from tests.helpers import age_session, callback_for, pending_sign_ins, pending_verifier, sign_in, sign_out, start_login

TOKEN = "/api/v1/auth/oauth/token"
JWKS = "/api/v1/projects/internal/.well-known/jwks.json"


@pytest.fixture
def live_app(stackauth_config: dict[str, Any]) -> Iterator[tuple[Any, str]]:
    """The app served by a real threaded server on a loopback port."""
    app = make_app(stackauth_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.mark.parametrize("threads", [8, 32])
def test_parallel_requests_with_one_expiring_token_refresh_once(live_app: Any, emu: Any, threads: int) -> None:
    app, base = live_app
    client = app.test_client()
    sign_in(client)
    age_session(client, 5)
    cookie = client.get_cookie("session").value
    before = emu.calls("POST", TOKEN)
    barrier = threading.Barrier(threads)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def hit() -> None:
        barrier.wait()
        response = requests.get(f"{base}/protected", headers={"Cookie": f"session={cookie}"}, timeout=30)
        with lock:
            results.append((response.status_code, response.json()["token_sha"]))

    workers = [threading.Thread(target=hit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [status for status, _ in results] == [200] * threads
    assert len({sha for _, sha in results}) == 1
    assert emu.calls("POST", TOKEN) - before == 1


def test_jwks_fetched_once_and_refetched_once_after_rotation(stackauth_config: dict[str, Any], emu: Any) -> None:
    app = make_app(stackauth_config, STACK_JWKS_REFETCH_COOLDOWN=0)
    client = app.test_client()
    sign_in(client)
    for _ in range(20):
        assert client.get("/protected").status_code == 200
    assert emu.calls("GET", JWKS) == 1
    emu.rotate_keys()
    age_session(client, 5)  # the refreshed token is signed with the new key
    for _ in range(20):
        assert client.get("/protected").status_code == 200
    assert emu.calls("GET", JWKS) == 2


def test_rotation_just_after_a_fetch_does_not_sign_session_users_out(client: Any, emu: Any) -> None:
    sign_in(client)
    assert client.get("/protected").status_code == 200
    emu.rotate_keys()  # within the default 10 s cooldown of the JWKS fetch above
    age_session(client, 5)
    assert client.get("/protected").status_code == 200
    assert emu.calls("GET", JWKS) == 2
    with client.session_transaction() as session:
        assert TOKENS_KEY in session


def test_no_secret_in_any_log_record(client: Any, emu: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    authorize = start_login(client)
    callback = callback_for(authorize, "ada@example.com")
    verifier = pending_verifier(client, pending_sign_ins(client)[0])
    code = callback.split("code=")[1].split("&")[0]
    client.get(callback)
    with client.session_transaction() as session:
        first = dict(session[TOKENS_KEY])
    age_session(client, 5)
    client.get("/protected")
    with client.session_transaction() as session:
        second = dict(session[TOKENS_KEY])
    sign_out(client)
    secrets = {verifier, code, first["access_token"], first["refresh_token"], second["access_token"]}
    ours = [r for r in caplog.records if not r.name.startswith(("werkzeug", "flask_stackauth.emulator"))]
    assert ours, "expected log records from the flow"
    text = "\n".join(r.getMessage() for r in ours)
    for secret in secrets:
        assert secret not in text
