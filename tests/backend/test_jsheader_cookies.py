"""Stack's JS SDK cookies (v2.8 structured, v2.7/legacy plain), opt-in with STACK_ACCEPT_JS_SDK_COOKIES."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from flask_stackauth.js_tokens import REFRESHED_HEADER
from tests.backend.conftest import TOKEN, make_backend_app


def _js_cookie(value: str) -> str:
    """As js-cookie writes a value: encodeURIComponent, then some characters un-escaped again."""
    encoded = quote(value, safe="-_.!~*'()")
    for ch in "#$&+/:<=>?@[]^`{|}":
        encoded = encoded.replace(quote(ch, safe=""), ch)
    return encoded


@pytest.fixture
def cookie_client(stackauth_config: dict[str, Any]) -> Any:
    return make_backend_app(stackauth_config, STACK_ACCEPT_JS_SDK_COOKIES=True).test_client()


def _structured(refresh: str, at: int | None = 1730000000000) -> str:
    body: dict[str, Any] = {"refresh_token": refresh}
    if at is not None:
        body["updated_at_millis"] = at
    return _js_cookie(json.dumps(body, separators=(",", ":")))


def test_cookies_are_ignored_by_default(client: Any, pair: Any, stackauth_emulator: Any) -> None:
    p = pair()
    client.set_cookie("stack-access", _js_cookie(json.dumps([p.refresh, p.access])))
    client.set_cookie(f"stack-refresh-{stackauth_emulator.project_id}--default", _structured(p.refresh))
    assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401


def test_v28_cookies_authenticate(cookie_client: Any, pair: Any, stackauth_emulator: Any, emu: Any) -> None:
    p = pair()
    pid = stackauth_emulator.project_id
    cookie_client.set_cookie("stack-access", _js_cookie(json.dumps([p.refresh, p.access])))
    cookie_client.set_cookie(f"__Host-stack-refresh-{pid}--default", _structured(p.refresh))
    before = emu.calls("POST", TOKEN)
    assert cookie_client.get("/me").json["id"] == p.user["id"]
    assert emu.calls("POST", TOKEN) == before
    # Next.js encodes fully (encodeURIComponent): read the same.
    cookie_client.set_cookie("stack-access", quote(json.dumps([p.refresh, p.access]), safe=""))
    assert cookie_client.get("/me").json["id"] == p.user["id"]


def test_newest_structured_refresh_cookie_wins_and_unpaired_access_cookie_is_ignored(
        cookie_client: Any, pair: Any, stackauth_emulator: Any, emu: Any) -> None:
    p, old = pair(), pair("old@example.com")
    pid = stackauth_emulator.project_id
    cookie_client.set_cookie(f"stack-refresh-{pid}--default", _structured(old.refresh, 1))
    cookie_client.set_cookie(f"stack-refresh-{pid}--custom-ABC", _structured(p.refresh, 2))
    cookie_client.set_cookie(f"stack-refresh-{pid}--broken", "{not json")
    # stack-access names the older refresh token: it is not used, so the request refreshes the newest one.
    cookie_client.set_cookie("stack-access", _js_cookie(json.dumps([old.refresh, old.access])))
    before = emu.calls("POST", TOKEN)
    response = cookie_client.get("/me")
    assert response.json["id"] == p.user["id"]
    assert emu.calls("POST", TOKEN) == before + 1
    assert REFRESHED_HEADER in response.headers


def test_legacy_plain_cookie_wins_over_structured(cookie_client: Any, pair: Any, stackauth_emulator: Any) -> None:
    p, other = pair(), pair("other@example.com")
    pid = stackauth_emulator.project_id
    cookie_client.set_cookie(f"stack-refresh-{pid}--default", _structured(other.refresh, 10**13))
    cookie_client.set_cookie(f"stack-refresh-{pid}", p.refresh)  # v2.7: the plain refresh token
    cookie_client.set_cookie("stack-access", _js_cookie(json.dumps([p.refresh, p.access])))
    assert cookie_client.get("/me").json["id"] == p.user["id"]
    cookie_client.delete_cookie(f"stack-refresh-{pid}")
    cookie_client.set_cookie("stack-refresh", other.refresh)  # the even older name
    assert cookie_client.get("/me").json["id"] == other.user["id"]


def test_header_wins_over_cookies(cookie_client: Any, pair: Any, stackauth_emulator: Any) -> None:
    p, q = pair(), pair("header@example.com")
    cookie_client.set_cookie(f"stack-refresh-{stackauth_emulator.project_id}", p.refresh)
    cookie_client.set_cookie("stack-access", _js_cookie(json.dumps([p.refresh, p.access])))
    assert cookie_client.get("/me", headers=q.header()).json["id"] == q.user["id"]


def test_state_changing_cookie_requests_need_same_origin(cookie_client: Any, pair: Any,
                                                          stackauth_emulator: Any) -> None:
    p = pair()
    cookie_client.set_cookie(f"stack-refresh-{stackauth_emulator.project_id}", p.refresh)
    cookie_client.set_cookie("stack-access", _js_cookie(json.dumps([p.refresh, p.access])))
    json_accept = {"Accept": "application/json"}
    for headers in ({}, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"}, {"Origin": "null"}):
        refused = cookie_client.post("/me", headers={**json_accept, **headers})
        assert refused.status_code == 403, headers
        assert refused.json["code"] == "CROSS_SITE_REQUEST"
    assert cookie_client.post("/me", headers={"Origin": "http://localhost"}).status_code == 200
    assert cookie_client.delete("/me", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    # The header is not a cookie: a cross-site page cannot make a browser send it, so no origin check.
    assert cookie_client.post("/me", headers={**p.header(), "Origin": "https://evil.example"}).status_code == 200
