"""Issue 11 item 7: a 200 answer of projects/current that is not a usable project object is not cached."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flask_stackauth.state import PROJECT_FAILURE_TTL
from tests.conftest import make_app
from tests.security.sec2_support import PROJECT, proxied_config, proxy_to


@pytest.mark.parametrize("answer", [None, [], {}, {"id": "internal"}, {"id": "internal", "config": None}])
def test_unusable_project_answer_is_an_outage_not_no_sign_in_method(
        stackauth_config: dict[str, Any], stackauth_emulator: Any, emu: Any, caplog: Any, answer: Any) -> None:
    with proxy_to(stackauth_emulator) as proxy:
        client = make_app(proxied_config(stackauth_config, stackauth_emulator, proxy)).test_client()
        bad = [1]

        def once(method: str, path: str, body: bytes, forward: Any) -> Any:
            if path == PROJECT and bad:
                bad.pop()
                return 200, answer
            return None

        proxy.rewrite = once
        first = client.get("/auth/login")
        assert first.status_code == 503
        assert "not a project object" in caplog.text
        # Fail-fast for a few seconds (no call while it lasts), then asked again rather than cached for a minute.
        calls = emu.calls("GET", PROJECT)
        assert client.get("/auth/login").status_code == 503
        assert emu.calls("GET", PROJECT) == calls
        if answer == {}:
            time.sleep(PROJECT_FAILURE_TTL + 0.2)
            page = client.get("/auth/login")
            assert page.status_code == 200
            assert 'name="password"' in page.get_data(as_text=True)
