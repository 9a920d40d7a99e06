"""Issue 11 item 10: error pages show STACK_API_URL (an internal address, say) only in debug mode."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.conftest import make_app
from tests.helpers import callback_for, start_login


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_unreachable_stack_auth_page_names_the_api_url_only_in_debug(
        stackauth_config: dict[str, Any], debug: bool, accept: str) -> None:
    # Start the sign-in against the emulator, then complete it in a twin app whose Stack Auth is unreachable.
    client = make_app(stackauth_config).test_client()
    callback = callback_for(start_login(client), "unreachable@example.com")
    internal = f"http://127.0.0.1:{_closed_port()}"
    twin = make_app(stackauth_config, STACK_API_URL=internal, DEBUG=debug)
    twin_client = twin.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    twin_client.set_cookie("session", cookie.value)
    response = twin_client.get(callback, headers={"Accept": accept})
    assert response.status_code == 502
    body = response.get_data(as_text=True)
    assert "Stack Auth" in body
    hidden = internal.removeprefix("http://")
    assert (hidden in body) is debug
