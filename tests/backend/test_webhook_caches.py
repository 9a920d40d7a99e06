"""Webhooks drop what the app cached about a user: its profile on ``user.updated``, its permission answers on
``*_permission.*``, so a change made elsewhere (the dashboard, another service) shows at once."""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask

from flask_stackauth import StackAuth, current_user, login_required
from tests.backend.conftest import SECRET, serve


def _server(emulator: Any) -> dict[str, str]:
    return {"x-stack-access-type": "server", "x-stack-project-id": emulator.project_id,
            "x-stack-secret-server-key": emulator.secret_server_key}


def _app(config: dict[str, Any]) -> Flask:
    app = Flask("caches")
    app.config.update(SECRET_KEY="k" * 40, **config, STACK_WEBHOOK_SECRET=SECRET, STACK_PERMISSION_CACHE_TTL=600)
    StackAuth(app)

    @app.get("/me")
    @login_required
    def me() -> Any:
        return {"metadata": current_user.get("client_metadata"), "viewer": current_user.has_permission("viewer")}

    return app


def test_user_updated_and_permission_deleted_webhooks_drop_the_cached_answers(
        stackauth_emulator: Any, stackauth_config: dict[str, Any], stackauth_bearer: Any) -> None:
    api = stackauth_emulator.url
    token = stackauth_bearer("cached@example.com")
    user_id = requests.get(f"{api}/api/v1/users", params={"query": "cached@example.com"},
                           headers=_server(stackauth_emulator), timeout=10).json()["items"][0]["id"]
    from flask_stackauth.emulator.teams import define_permission

    define_permission(stackauth_emulator.emulator, "viewer")
    requests.post(f"{api}/api/v1/project-permissions/{user_id}/viewer", json={},
                  headers=_server(stackauth_emulator), timeout=10).raise_for_status()
    app = _app(stackauth_config)
    bearer = {"Authorization": f"Bearer {token}"}
    with serve(app) as base:
        assert requests.get(base + "/me", headers=bearer, timeout=10).json() == {"metadata": None, "viewer": True}
        # Changed behind the app's back, no webhook endpoint yet: the cached answers stay.
        requests.patch(f"{api}/api/v1/users/{user_id}", json={"client_metadata": {"plan": "pro"}},
                       headers=_server(stackauth_emulator), timeout=10).raise_for_status()
        requests.delete(f"{api}/api/v1/project-permissions/{user_id}/viewer",
                        headers=_server(stackauth_emulator), timeout=10).raise_for_status()
        assert requests.get(base + "/me", headers=bearer, timeout=10).json() == {"metadata": None, "viewer": True}
        # The same changes again, now with the app receiving webhooks.
        stackauth_emulator.add_webhook_endpoint(base + "/auth/webhooks", secret=SECRET)
        requests.patch(f"{api}/api/v1/users/{user_id}", json={"client_metadata": {"plan": "max"}},
                       headers=_server(stackauth_emulator), timeout=10).raise_for_status()
        requests.post(f"{api}/api/v1/project-permissions/{user_id}/viewer", json={},
                      headers=_server(stackauth_emulator), timeout=10).raise_for_status()
        requests.delete(f"{api}/api/v1/project-permissions/{user_id}/viewer",
                        headers=_server(stackauth_emulator), timeout=10).raise_for_status()
        assert stackauth_emulator.wait_for_webhooks(10)
        types = [m["event_type"] for m in stackauth_emulator.webhook_messages()]
        assert "user.updated" in types and "project_permission.deleted" in types
        assert requests.get(base + "/me", headers=bearer, timeout=10).json() == {
            "metadata": {"plan": "max"}, "viewer": False}
