"""With ``STACK_REDIS_URL`` several workers agree on the message ids already handled (a real redis-server)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.backend.conftest import SECRET, serve
from tests.deploy.support import free_port, redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_two_apps_sharing_redis_handle_a_message_once(stackauth_emulator: Any, make_webhook_app: Any,
                                                      redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    first, first_seen = make_webhook_app(STACK_REDIS_URL=redis_url)
    second, second_seen = make_webhook_app(STACK_REDIS_URL=redis_url)
    with serve(first) as one, serve(second) as two:
        for base in (one, two):
            stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET,
                                                    event_types=["user.created"])
        stackauth_emulator.emulator.create_user("shared@example.com")
        assert stackauth_emulator.wait_for_webhooks(10)
    assert len(first_seen.events) + len(second_seen.events) == 1
    final = {d["endpoint_id"]: d["status"] for d in stackauth_emulator.webhook_deliveries()}
    assert sorted(final.values()) == [200, 204]  # a 409 "being handled" copy is retried into a 200


def test_the_refresh_lock_url_is_honoured_too(make_webhook_app: Any, redis_url: str, stackauth_webhook: Any) -> None:
    first, first_seen = make_webhook_app(STACK_REFRESH_LOCK_REDIS_URL=redis_url)
    second, second_seen = make_webhook_app(STACK_REFRESH_LOCK_REDIS_URL=redis_url)
    assert stackauth_webhook(first, "user.updated", {"id": "u"}, id="msg_lockurl").status_code == 204
    assert stackauth_webhook(second, "user.updated", {"id": "u"}, id="msg_lockurl").status_code == 200
    assert len(first_seen.events) == 1 and second_seen.events == []


def test_without_redis_each_app_remembers_on_its_own(make_webhook_app: Any, stackauth_webhook: Any) -> None:
    first, first_seen = make_webhook_app()
    second, second_seen = make_webhook_app()
    for app in (first, second):
        assert stackauth_webhook(app, "user.updated", {"id": "u"}, id="msg_local").status_code == 204
    assert len(first_seen.events) == len(second_seen.events) == 1


def test_a_dead_redis_falls_back_to_this_process(make_webhook_app: Any, stackauth_webhook: Any,
                                                 caplog: Any) -> None:
    app, seen = make_webhook_app(STACK_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert stackauth_webhook(app, "user.updated", {"id": "u"}, id="msg_dead").status_code == 204
    assert stackauth_webhook(app, "user.updated", {"id": "u"}, id="msg_dead").status_code == 200
    assert len(seen.events) == 1
    assert any("Redis unavailable" in r.getMessage() for r in caplog.records)
