"""The example app's webhook log page shows what the emulator delivered to it over HTTP."""

from __future__ import annotations

from typing import Any

from example_app import create_app
from example_app.webhook_log import WEBHOOK_LOG
from tests.backend.conftest import serve


def test_the_webhook_log_lists_events_the_emulator_delivered(stackauth_emulator: Any,
                                                              stackauth_config: dict[str, Any],
                                                              stackauth_login: Any) -> None:
    WEBHOOK_LOG.clear()
    app = create_app({**stackauth_config, "TESTING": True})
    with serve(app):
        pass  # without STACK_WEBHOOK_SECRET there is no receiver
    client = app.test_client()
    stackauth_login(client, "viewer@example.com")
    assert "receiver is off" in client.get("/webhooks").get_data(as_text=True)

    endpoint_secret = "whsec_ZXhhbXBsZS1hcHAtd2ViaG9vay1zZWNyZXQ="
    app = create_app({**stackauth_config, "TESTING": True, "STACK_WEBHOOK_SECRET": endpoint_secret})
    with serve(app) as base:
        stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=endpoint_secret)
        created = stackauth_emulator.emulator.create_user("logged@example.com")
        assert stackauth_emulator.wait_for_webhooks(10)
    client = app.test_client()
    stackauth_login(client, "viewer@example.com")
    page = client.get("/webhooks").get_data(as_text=True)
    assert "user.created" in page and created["id"] in page and "receiver is off" not in page
