"""The emulator console's webhook page lists the deliveries to the app under test and the app's answers."""

from __future__ import annotations

from typing import Any

import requests

from tests.backend.conftest import SECRET, serve


def test_the_console_shows_deliveries_and_answers(stackauth_emulator: Any, make_webhook_app: Any) -> None:
    app, _ = make_webhook_app()
    stackauth_emulator.emulator.webhooks.configure(retry_delays=[0.05])
    wrong = "whsec_d3Jvbmctc2VjcmV0LTEyMzQ1Njc4"
    with serve(app) as base:
        for secret in (SECRET, wrong):
            stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=secret,
                                                    event_types=["user.created"])
        stackauth_emulator.emulator.create_user("console@example.com")
        assert stackauth_emulator.wait_for_webhooks(10)
    page = requests.get(f"{stackauth_emulator.url}/_emulator/console/webhooks", timeout=10).text
    assert "user.created" in page and base + "/auth/webhooks" in page
    assert "204" in page and "signature does not match" in page  # the wrong secret's 400 reason
