"""A pytest plugin for apps that use flask-stackauth (registered as the ``pytest11`` entry point ``stackauth``).

Fixtures:

``stackauth_emulator``
    A running Stack Auth emulator on a loopback port (one per test session), reset before each test.
    It is an :class:`~flask_stackauth.emulator.EmulatorServer`: ``.url``, ``.project_id``, ``.publishable_key``,
    ``.secret_server_key`` and ``.emulator`` (the controls: ``create_user``, ``advance_clock``, ``calls``, ...).
``stackauth_config``
    The ``STACK_*`` settings that point an app at that emulator; ``app.config.update(stackauth_config)``.
``stackauth_login``
    ``stackauth_login(client, email="user@example.com")`` signs a Flask test client in without clicking through
    OAuth (a real session minted by the emulator) and returns the user as a dict.
``stackauth_bearer``
    ``stackauth_bearer(email="user@example.com")`` returns a fresh access token for ``Authorization: Bearer``.
``stackauth_webhook``
    ``stackauth_webhook(client_or_app, "user.created", data, id=None, timestamp=None)`` posts a correctly
    Svix-signed event (with the app's ``STACK_WEBHOOK_SECRET``) to the app's webhook route; returns the response.

Works with pytest-flask: define an ``app`` fixture that uses ``stackauth_config`` and use its ``client``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from .emulator import EmulatorServer


def emulator_config(server: EmulatorServer) -> dict[str, Any]:
    """The ``STACK_*`` settings for an app that talks to ``server``."""
    return {
        "STACK_PROJECT_ID": server.project_id,
        "STACK_PUBLISHABLE_CLIENT_KEY": server.publishable_key,
        "STACK_SECRET_SERVER_KEY": server.secret_server_key,
        "STACK_API_URL": server.url,
        "STACK_HTTP_TIMEOUT": 5,
    }


def _find_or_create_user(server: EmulatorServer, email: str, **fields: Any) -> dict[str, Any]:
    import requests

    # Restricted and anonymous users are listed only when asked for, as on real servers.
    params = {"query": email, "include_restricted": "true", "include_anonymous": "true"}
    answer = requests.get(f"{server.url}/api/v1/users", params=params, timeout=10, headers={
        "x-stack-access-type": "server", "x-stack-project-id": server.project_id,
        "x-stack-secret-server-key": server.secret_server_key})
    answer.raise_for_status()
    for user in answer.json()["items"]:
        if user.get("primary_email") == email:
            return dict(user)
    return server.emulator.create_user(email, **fields)


def sign_in_client(server: EmulatorServer, client: FlaskClient, email: str = "user@example.com", *,
                   expires_in: float | None = None, **fields: Any) -> dict[str, Any]:
    """Put a real emulator session for ``email`` (created if needed) into ``client``'s Flask session.

    :param expires_in: seconds the access token has left (default: a fresh token); a small value puts it inside
        the app's refresh leeway, so the next protected request refreshes it first.
    """
    from .config import check_unchanged
    from .extension import get_state
    from .tokens import TokenSet, peek_claims, save_tokens

    check_unchanged(get_state(client.application).settings, client.application.config)
    user = _find_or_create_user(server, email, **fields)
    pair = server.emulator.create_session(user["id"], expires_in=expires_in)
    tokens = TokenSet(pair["access_token"], pair["refresh_token"], int(peek_claims(pair["access_token"])["exp"]))
    with client.session_transaction() as session:
        save_tokens(session, tokens)
    return user


@pytest.fixture(scope="session")
def _stackauth_emulator_server() -> Iterator[EmulatorServer]:
    from .emulator import run_emulator

    with run_emulator() as server:
        yield server


@pytest.fixture
def stackauth_emulator(_stackauth_emulator_server: EmulatorServer) -> EmulatorServer:
    """A running emulator, reset to its seeded state before the test."""
    _stackauth_emulator_server.emulator.reset()
    return _stackauth_emulator_server


@pytest.fixture
def stackauth_config(stackauth_emulator: EmulatorServer) -> dict[str, Any]:
    """``STACK_*`` settings pointing at :func:`stackauth_emulator`."""
    return emulator_config(stackauth_emulator)


@pytest.fixture
def stackauth_login(stackauth_emulator: EmulatorServer) -> Callable[..., dict[str, Any]]:
    """``stackauth_login(client, email=..., expires_in=None, **user_fields)``: sign a test client in; returns the user.

    ``expires_in=5`` signs in with an access token that has 5 seconds left, to test refresh.
    """

    def login(client: FlaskClient, email: str = "user@example.com", *, expires_in: float | None = None,
              **fields: Any) -> dict[str, Any]:
        return sign_in_client(stackauth_emulator, client, email, expires_in=expires_in, **fields)

    return login


@pytest.fixture
def stackauth_bearer(stackauth_emulator: EmulatorServer) -> Callable[..., str]:
    """``stackauth_bearer(email=...)``: a fresh access token for that user (created if needed)."""

    def bearer(email: str = "user@example.com", **fields: Any) -> str:
        user = _find_or_create_user(stackauth_emulator, email, **fields)
        return str(stackauth_emulator.emulator.create_session(user["id"])["access_token"])

    return bearer


def post_webhook(client_or_app: Any, event_type: str, data: Any, *, id: str | None = None,
                 timestamp: float | None = None) -> Any:
    """Post a Svix-signed ``{"type": event_type, "data": data}`` to the app's webhook route.

    :param client_or_app: a Flask test client, or the app (a fresh test client is used).
    :param id: the ``svix-id`` (default: a new ``msg_...``); send the same one twice to test duplicates.
    :param timestamp: the ``svix-timestamp`` in unix seconds (default: now).
    :returns: the test client's response.
    """
    import json
    import secrets
    import time
    from datetime import datetime, timezone

    from flask import Flask
    from standardwebhooks import Webhook

    from .extension import get_state

    client = client_or_app.test_client() if isinstance(client_or_app, Flask) else client_or_app
    settings = get_state(client.application).settings
    if not settings.webhook_secret:
        raise RuntimeError("stackauth_webhook needs STACK_WEBHOOK_SECRET in the app's config.")
    message_id = id or "msg_" + secrets.token_hex(13)
    seconds = int(time.time() if timestamp is None else timestamp)
    body = json.dumps({"type": event_type, "data": data}, separators=(",", ":"))
    signature = Webhook(settings.webhook_secret).sign(
        message_id, datetime.fromtimestamp(seconds, tz=timezone.utc), body)
    return client.post(settings.webhook_path, data=body.encode(), headers={
        "content-type": "application/json", "svix-id": message_id, "svix-timestamp": str(seconds),
        "svix-signature": signature})


@pytest.fixture
def stackauth_webhook() -> Callable[..., Any]:
    """``stackauth_webhook(client_or_app, event_type, data, *, id=None, timestamp=None)``: post a signed event."""
    return post_webhook
