"""Red team: the sign-in throttle's per-address count against the forms of one client's IPv6 addresses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_app
from tests.signin.signin_support import csrf, text

SIGN_IN = "/api/v1/auth/password/sign-in"


def _guess(client: Any, token: str, email: str, address: str) -> int:
    answer = client.post("/auth/password", data={"csrf_token": token, "email": email, "password": "wrong-guess"},
                         environ_base={"REMOTE_ADDR": address})
    assert answer.status_code in (400, 429), text(answer)[:300]
    return int(answer.status_code)


@pytest.mark.parametrize("addresses", [
    # One IPv6 client holds a whole /64 (SLAAC, privacy addresses): a new address per guess is free.
    [f"2001:db8:1:2::{i:x}" for i in range(1, 8)],
    ["2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::1", "2001:0db8:0001:0002:cccc:0000:0000:0001",
     "2001:db8:1:2:dddd::1", "2001:DB8:1:2:eeee::1", "2001:db8:1:2:ffff::1", "2001:db8:1:2:1234::1"],
    # The same IPv4 client as seen by a dual-stack socket (IPv4-mapped) and by an IPv4 one.
    ["192.0.2.7", "::ffff:192.0.2.7", "::ffff:c000:207", "192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7",
     "::ffff:192.0.2.7"],
], ids=["ipv6-same-64", "ipv6-spellings", "ipv4-mapped"])
def test_one_client_cannot_rotate_addresses_past_the_per_address_count(stackauth_config: dict[str, Any], emu: Any,
                                                                       addresses: list[str]) -> None:
    app = make_app(stackauth_config, STACK_SIGN_IN_THROTTLE_PER_EMAIL="off",
                   STACK_SIGN_IN_THROTTLE_PER_ADDRESS="3 per 15 minutes")
    client = app.test_client()
    token = csrf(client)
    statuses = [_guess(client, token, f"victim{i}@example.com", address) for i, address in enumerate(addresses)]
    assert statuses == [400, 400, 400, 429, 429, 429, 429]
    assert emu.calls("POST", SIGN_IN) == 3


def test_neighbours_outside_the_64_and_other_ipv4_hosts_keep_their_own_count(stackauth_config: dict[str, Any],
                                                                               emu: Any) -> None:
    app = make_app(stackauth_config, STACK_SIGN_IN_THROTTLE_PER_EMAIL="off",
                   STACK_SIGN_IN_THROTTLE_PER_ADDRESS="2 per 15 minutes")
    client = app.test_client()
    token = csrf(client)
    assert [_guess(client, token, f"a{i}@example.com", "2001:db8:1:2::1") for i in range(3)] == [400, 400, 429]
    assert _guess(client, token, "b@example.com", "2001:db8:1:3::1") == 400
    assert [_guess(client, token, f"c{i}@example.com", "192.0.2.7") for i in range(3)] == [400, 400, 429]
    assert _guess(client, token, "d@example.com", "192.0.2.8") == 400
