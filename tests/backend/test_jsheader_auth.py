"""The x-stack-auth header of Stack's JS SDK (getAuthHeaders()) as a credential, over HTTP against the emulator."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import pytest

from flask_stackauth.js_tokens import REFRESHED_HEADER
from tests.backend.conftest import TOKEN, make_backend_app


def test_header_authenticates_login_required_and_current_user(client: Any, pair: Any) -> None:
    p = pair()
    response = client.get("/me", headers=p.header())
    assert response.status_code == 200
    assert response.json == {"id": p.user["id"], "email": "js@example.com"}
    assert REFRESHED_HEADER not in response.headers
    assert client.get("/", headers=p.header()).json == {"signed_in": True, "id": p.user["id"]}


def test_repeated_header_makes_no_call_to_stack_auth(client: Any, pair: Any, emu: Any) -> None:
    p = pair()
    client.get("/me", headers=p.header())  # warms the JWKS
    before = emu.calls()
    for _ in range(30):
        assert client.get("/me", headers=p.header()).status_code == 200
    assert emu.calls() == before


@pytest.mark.parametrize(("value", "reason"), [
    ("not json", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    ("null", "not a JSON object"),
    ('"token"', "not a JSON object"),
    ('{"accessToken": 5}', "accessToken must be a string or null"),
    ('{"accessToken": null, "refreshToken": {"a": 1}}', "refreshToken must be a string or null"),
    ('{"accessToken": "' + "a" * 9000 + '"}', "accessToken is longer"),
    ("{" + " " * 17000 + "}", "longer than 16384"),
    ("[" * 5000 + "]" * 5000, "not JSON"),
])
def test_malformed_header_is_401_with_a_reason(client: Any, value: str, reason: str) -> None:
    response = client.get("/me", headers={"x-stack-auth": value, "Accept": "text/html"})
    assert response.status_code == 401
    assert response.json["code"] == "INVALID_STACK_AUTH_HEADER"
    assert reason in response.json["error"]
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_request"')


def test_forged_and_signed_out_headers_are_refused(client: Any, pair: Any) -> None:
    p = pair()
    head, payload, sig = p.access.split(".")
    forged = client.get("/me", headers=p.header(access=f"{head}.{payload}.{sig[:-4]}AAAA", refresh=None))
    assert forged.status_code == 401 and 'error="invalid_token"' in forged.headers["WWW-Authenticate"]
    # A bad (not expired) access token is never refreshed, even next to a refresh token.
    assert client.get("/me", headers=p.header(access="garbage")).status_code == 401
    out = client.get("/me", headers={"x-stack-auth": '{"accessToken":null,"refreshToken":null}'})
    assert out.status_code == 401 and "signed out" in out.json["error"]
    assert client.get("/", headers={"x-stack-auth": "{}"}).json["signed_in"] is False


def test_header_wins_over_the_session(client: Any, pair: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "session@example.com")
    p = pair()
    assert client.get("/me", headers=p.header()).json["id"] == p.user["id"]
    signed_out = client.get("/me", headers={"x-stack-auth": '{"accessToken":null}', "Accept": "application/json"})
    assert signed_out.status_code == 401  # the header says "signed out": the session is not used instead
    assert client.get("/me").json["email"] == "session@example.com"


def test_expired_access_token_is_refreshed_once_and_handed_back(client: Any, pair: Any, emu: Any) -> None:
    p = pair()
    before = emu.calls("POST", TOKEN)
    first = client.get("/me", headers=p.header(access="expired"))
    assert first.status_code == 200 and first.json["id"] == p.user["id"]
    fresh = first.headers[REFRESHED_HEADER]
    assert fresh.count(".") == 2 and fresh != p.expired
    assert first.headers["Cache-Control"] == "no-store"
    assert emu.calls("POST", TOKEN) == before + 1
    # The same stale header again (the frontend has not picked the new token up yet): no further refresh.
    for _ in range(5):
        again = client.get("/me", headers=p.header(access="expired"))
        assert again.status_code == 200 and again.headers[REFRESHED_HEADER] == fresh
    missing = client.get("/me", headers=p.header(access=None))
    assert missing.status_code == 200 and missing.headers[REFRESHED_HEADER] == fresh
    assert emu.calls("POST", TOKEN) == before + 1
    # The handed-back token works on its own.
    assert client.get("/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


@pytest.mark.parametrize("threads", [1, 8, 32])
def test_concurrent_requests_share_one_refresh(app: Any, pair: Any, emu: Any, threads: int) -> None:
    p = pair()
    barrier = threading.Barrier(threads)
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def call() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.get("/me", headers=p.header(access="expired"))
        with lock:
            results.append((response.status_code, response.headers.get(REFRESHED_HEADER)))

    before = emu.calls("POST", TOKEN)
    workers = [threading.Thread(target=call) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert emu.calls("POST", TOKEN) == before + 1
    assert len(results) == threads and {status for status, _ in results} == {200}
    assert len({token for _, token in results}) == 1


def test_refused_refresh_is_401_and_outage_is_503(client: Any, pair: Any, emu: Any, stackauth_config: Any) -> None:
    p = pair()
    emu.revoke_refresh_token(p.refresh)
    refused = client.get("/me", headers=p.header(access="expired"))
    assert refused.status_code == 401
    assert refused.json["code"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
    assert REFRESHED_HEADER not in refused.headers

    slow = make_backend_app(stackauth_config, STACK_HTTP_TIMEOUT=0.3).test_client()
    for mode in ("500", "garbage", "hang"):
        q = pair(f"outage-{mode}@example.com")
        emu.fail_next(1, path=TOKEN, mode=mode, delay=1.0)
        down = slow.get("/me", headers=q.header(access="expired"))
        assert down.status_code == 503, mode
        assert down.json["code"] == "STACK_AUTH_UNAVAILABLE"
        # Not remembered as a refusal: once Stack is back, the same header works.
        assert slow.get("/me", headers=q.header(access="expired")).status_code == 200


def test_expired_token_without_refresh_token_is_401(client: Any, pair: Any) -> None:
    p = pair()
    response = client.get("/me", headers=p.header(access="expired", refresh=None))
    assert response.status_code == 401 and response.json["code"] == "ACCESS_TOKEN_EXPIRED"


def test_anonymous_users_need_the_views_opt_in(client: Any, emu: Any) -> None:
    user = emu.create_user(anonymous=True)
    pair = emu.create_session(user["id"])
    header = {"x-stack-auth": json.dumps({"accessToken": pair["access_token"], "refreshToken": None})}
    refused = client.get("/me", headers=header)
    assert refused.status_code == 401 and refused.json["code"] == "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED"


def test_token_never_appears_in_logs(client: Any, pair: Any, caplog: Any, emu: Any) -> None:
    p = pair()
    emu.revoke_refresh_token(p.refresh)
    with caplog.at_level("DEBUG"):
        client.get("/me", headers=p.header(access="expired"))
        client.get("/me", headers={"x-stack-auth": json.dumps({"accessToken": p.access + "x"})})
    for secret in (p.refresh, p.access, p.expired):
        assert secret not in caplog.text
        assert hashlib.sha256(secret.encode()).hexdigest() not in caplog.text
