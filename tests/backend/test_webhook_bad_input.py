"""Deliveries that do not verify get a 400 with a reason and never reach a handler: another secret, a stale
timestamp, a body changed by one byte, a missing header; fuzzed bodies and headers never give a 500 and a
forgery is never accepted. Plus the receiver's configuration errors."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from flask_stackauth import StackAuth, StackAuthConfigError
from tests.backend.conftest import OTHER_SECRET, SECRET

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BODY = json.dumps({"type": "user.created", "data": {"id": "u1", "primary_email": "a@example.com"}}).encode()


def _signed(body: bytes = BODY, *, secret: str = SECRET, msg_id: str = "msg_1",
            at: float | None = None) -> dict[str, str]:
    seconds = int(time.time() if at is None else at)
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(seconds, tz=timezone.utc), body.decode())
    return {"svix-id": msg_id, "svix-timestamp": str(seconds), "svix-signature": signature}


@pytest.fixture
def hooked(make_webhook_app: Any) -> Any:
    app, recorder = make_webhook_app()
    return app.test_client(), recorder


def _post(client: Any, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/auth/webhooks", data=body, headers={"content-type": "application/json", **headers})


def test_a_correct_delivery_is_handled(hooked: Any) -> None:
    client, recorder = hooked
    assert _post(client, BODY, _signed()).status_code == 204
    assert len(recorder.events) == 1


def test_a_signature_made_with_another_secret_is_refused(hooked: Any) -> None:
    client, recorder = hooked
    response = _post(client, BODY, _signed(secret=OTHER_SECRET))
    assert response.status_code == 400
    assert "STACK_WEBHOOK_SECRET" in response.json["error"]
    assert recorder.events == []


@pytest.mark.parametrize("offset, word", [(-301, "old"), (+301, "future")])
def test_a_timestamp_more_than_5_minutes_off_is_refused(hooked: Any, offset: int, word: str) -> None:
    client, recorder = hooked
    response = _post(client, BODY, _signed(at=time.time() + offset))
    assert response.status_code == 400
    assert word in response.json["error"]
    assert recorder.events == []


@pytest.mark.parametrize("index", [0, len(BODY) // 2, len(BODY) - 1])
def test_a_body_changed_by_one_byte_is_refused(hooked: Any, index: int) -> None:
    client, recorder = hooked
    headers = _signed()
    changed = bytearray(BODY)
    changed[index] ^= 0x01
    response = _post(client, bytes(changed), headers)
    assert response.status_code == 400
    assert recorder.events == []


@pytest.mark.parametrize("missing", ["svix-id", "svix-timestamp", "svix-signature"])
def test_a_missing_header_is_refused_and_named(hooked: Any, missing: str) -> None:
    client, recorder = hooked
    headers = _signed()
    del headers[missing]
    response = _post(client, BODY, headers)
    assert response.status_code == 400
    assert missing in response.json["error"]
    assert recorder.events == []


def test_a_signed_body_that_is_not_an_event_is_refused(hooked: Any) -> None:
    client, recorder = hooked
    for body in (b"[1, 2]", b"not json", b'{"data": {}}'):
        assert _post(client, body, _signed(body, msg_id=f"msg_{len(body)}")).status_code == 400
    assert recorder.events == []


def test_an_unknown_event_type_arrives_as_a_generic_event(hooked: Any, stackauth_webhook: Any) -> None:
    client, recorder = hooked
    response = stackauth_webhook(client, "session.created", {"id": "s1"})
    assert response.status_code == 204
    event = recorder.events[0]
    assert type(event).__name__ == "WebhookEvent" and event.data == {"id": "s1"}


def test_the_fixture_replays_an_id_as_a_duplicate(hooked: Any, stackauth_webhook: Any) -> None:
    client, recorder = hooked
    assert stackauth_webhook(client, "user.updated", {"id": "u1"}, id="msg_same").status_code == 204
    assert stackauth_webhook(client, "user.updated", {"id": "u1"}, id="msg_same").status_code == 200
    assert len(recorder.events) == 1
    assert stackauth_webhook(client, "user.updated", {"id": "u1"}, timestamp=time.time() - 3600).status_code == 400


header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300)


@FUZZ
@given(body=st.binary(max_size=600), msg_id=header_text, stamp=header_text, signature=header_text)
def test_random_deliveries_are_refused_with_400(hooked: Any, body: bytes, msg_id: str, stamp: str,
                                                signature: str) -> None:
    client, recorder = hooked
    response = _post(client, body, {"svix-id": msg_id, "svix-timestamp": stamp, "svix-signature": signature})
    assert response.status_code == 400
    assert response.is_json and response.json["error"]
    assert recorder.events == []


@FUZZ
@given(data=st.data())
def test_mutated_valid_deliveries_are_refused_with_400(hooked: Any, data: Any) -> None:
    client, recorder = hooked
    headers = _signed(msg_id="msg_" + data.draw(st.text("ABCDEF0123", min_size=5, max_size=10)))
    body = BODY
    part = data.draw(st.sampled_from(["body", "svix-id", "svix-timestamp", "svix-signature"]))
    original = body.decode() if part == "body" else headers[part]
    index = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
    replacement = data.draw(st.characters(min_codepoint=0x21, max_codepoint=0x7E))
    if part == "svix-signature" and index >= len(original) - 2:
        index = len(original) - 3  # the last base64 characters may be only padding bits
    assume_changed = original[:index] + replacement + original[index + 1:]
    if assume_changed == original:
        return
    if part == "body":
        body = assume_changed.encode()
    else:
        headers[part] = assume_changed
    response = _post(client, body, headers)
    assert response.status_code == 400, (part, assume_changed)
    assert recorder.events == []


# --- configuration ----------------------------------------------------------------------------


def _app(config: dict[str, Any], **extra: Any) -> Flask:
    app = Flask("cfg")
    app.config.update(SECRET_KEY="k" * 40, **config, **extra)
    StackAuth(app)
    return app


def test_without_a_secret_there_is_no_webhook_route(stackauth_config: dict[str, Any]) -> None:
    client = _app(stackauth_config).test_client()
    assert client.post("/auth/webhooks", data=BODY, headers=_signed()).status_code == 404


def test_the_route_follows_stack_webhook_path(stackauth_config: dict[str, Any]) -> None:
    client = _app(stackauth_config, STACK_WEBHOOK_SECRET=SECRET, STACK_WEBHOOK_PATH="/hooks/stack").test_client()
    assert client.post("/hooks/stack", data=BODY, headers=_signed()).status_code == 204
    assert client.post("/auth/webhooks", data=BODY, headers=_signed()).status_code == 404


def test_a_malformed_secret_is_a_config_error_that_does_not_echo_it(stackauth_config: dict[str, Any]) -> None:
    with pytest.raises(StackAuthConfigError, match="STACK_WEBHOOK_SECRET") as info:
        _app(stackauth_config, STACK_WEBHOOK_SECRET="sk_live_not-a-whsec-value")
    assert "sk_live_not-a-whsec-value" not in str(info.value)


def test_without_the_webhooks_extra_init_app_names_it(stackauth_config: dict[str, Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "standardwebhooks", None)  # import fails as if not installed
    with pytest.raises(StackAuthConfigError, match=r"flask-stackauth\[webhooks\]"):
        _app(stackauth_config, STACK_WEBHOOK_SECRET=SECRET)


def test_an_oversized_body_is_refused_before_verifying(hooked: Any) -> None:
    client, _ = hooked
    body = b"{" + b" " * (1 << 20) + b"}"
    assert _post(client, body, _signed(body)).status_code == 413
