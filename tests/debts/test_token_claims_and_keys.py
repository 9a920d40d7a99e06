"""Access-token checks that had no test: ``nbf``, ``STACK_CLOCK_LEEWAY`` edges, ``branch_id``, a missing ``sub``,
JWKS cache expiry and the fall-back to cached keys in an outage, and an expired token still in the
verified-token cache. Odd tokens are signed with the emulator's own keys (:func:`tests.helpers.mint`); the
app's clock is never patched."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import make_app
from tests.helpers import DROP, mint

JWKS = "/api/v1/projects/internal/.well-known/jwks.json"


def _client(config: dict[str, Any], **settings: Any) -> FlaskClient:
    return make_app({**config, **settings}).test_client()


def _get(client: FlaskClient, token: str) -> Any:
    return client.get("/protected", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def token(stackauth_bearer: Any) -> str:
    """A good access token of a fresh user: the claims the tests below change."""
    return str(stackauth_bearer("claims@example.com"))


def test_nbf_in_the_future_is_refused_and_in_the_past_accepted(stackauth_config: dict[str, Any], emu: Any,
                                                               token: str) -> None:
    client = _client(stackauth_config)
    now = int(time.time())
    early = _get(client, mint(emu, token, nbf=now + 120))
    assert early.status_code == 401
    assert early.json["code"] == "INVALID_ACCESS_TOKEN"
    assert "nbf" in early.json["error"]
    assert _get(client, mint(emu, token, nbf=now - 120)).status_code == 200
    assert _get(client, mint(emu, token, nbf="soon")).status_code == 401


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_clock_leeway_is_honoured_on_both_sides_of_its_edge(stackauth_config: dict[str, Any], emu: Any,
                                                            token: str, claim: str) -> None:
    # 60 s of leeway; 20 s inside or outside it, so the seconds a slow machine takes do not matter.
    lenient = _client(stackauth_config, STACK_CLOCK_LEEWAY=60)
    strict = _client(stackauth_config, STACK_CLOCK_LEEWAY=0)
    now = int(time.time())
    sign = -1 if claim == "exp" else 1  # exp is late, iat and nbf early
    inside = mint(emu, token, **{claim: now + sign * 40})
    outside = mint(emu, token, **{claim: now + sign * 80})
    assert _get(lenient, inside).status_code == 200
    refused = _get(lenient, outside)
    assert refused.status_code == 401
    assert refused.json["code"] == ("ACCESS_TOKEN_EXPIRED" if claim == "exp" else "INVALID_ACCESS_TOKEN")
    assert _get(strict, inside).status_code == 401
    assert _get(_client(stackauth_config), inside).status_code == 401  # the default leeway is 5 s


def test_zero_leeway_refuses_a_token_the_second_it_expires(stackauth_config: dict[str, Any], emu: Any,
                                                           token: str) -> None:
    strict = _client(stackauth_config, STACK_CLOCK_LEEWAY=0)
    assert _get(strict, mint(emu, token, exp=int(time.time()))).status_code == 401
    assert _get(strict, mint(emu, token, exp=int(time.time()) + 60)).status_code == 200


def test_branch_id_other_than_main_is_another_project(stackauth_config: dict[str, Any], emu: Any,
                                                      token: str) -> None:
    client = _client(stackauth_config)
    other = _get(client, mint(emu, token, branch_id="preview"))
    assert other.status_code == 401
    assert other.json["code"] == "INVALID_PROJECT_FOR_ACCESS_TOKEN"
    assert "branch" in other.json["error"]
    # v2.7 servers spell it branchId.
    assert _get(client, mint(emu, token, branch_id=DROP, branchId="preview")).status_code == 401
    assert _get(client, mint(emu, token, branch_id=DROP, branchId="main")).status_code == 200
    assert _get(client, mint(emu, token, branch_id=DROP)).status_code == 200  # no branch: the main one


@pytest.mark.parametrize("sub", [DROP, "", 42, None])
def test_a_token_without_a_usable_sub_is_refused(stackauth_config: dict[str, Any], emu: Any, token: str,
                                                 sub: Any) -> None:
    refused = _get(_client(stackauth_config), mint(emu, token, sub=sub))
    assert refused.status_code == 401
    assert refused.json["code"] == "UNPARSABLE_ACCESS_TOKEN"
    assert "sub" in refused.json["error"]


def test_a_session_token_without_sub_signs_out_rather_than_500(stackauth_config: dict[str, Any], emu: Any,
                                                               token: str) -> None:
    from tests.helpers import session_tokens, store_session

    client = _client(stackauth_config)
    store_session(client, mint(emu, token, sub=DROP), "some-refresh-token")
    assert client.get("/protected", headers={"Accept": "application/json"}).status_code == 401
    assert session_tokens(client) is None


def test_an_expired_jwks_cache_is_refetched(stackauth_config: dict[str, Any], emu: Any,
                                            stackauth_bearer: Any) -> None:
    cached = _client(stackauth_config, STACK_JWKS_REFETCH_COOLDOWN=0)
    expiring = _client(stackauth_config, STACK_JWKS_CACHE_TTL=0, STACK_JWKS_REFETCH_COOLDOWN=0)
    tokens = [stackauth_bearer(f"u{i}@example.com") for i in range(3)]  # distinct tokens: no verified-token cache
    for t in tokens:
        assert _get(cached, t).status_code == 200
    assert emu.calls("GET", JWKS) == 1
    for t in tokens:
        assert _get(expiring, t).status_code == 200
    assert emu.calls("GET", JWKS) == 1 + 3  # an expired cache entry is fetched again for every new token


def test_an_outage_at_refetch_falls_back_to_the_cached_keys(stackauth_config: dict[str, Any], emu: Any,
                                                            stackauth_bearer: Any, caplog: Any) -> None:
    client = _client(stackauth_config, STACK_JWKS_CACHE_TTL=0, STACK_JWKS_REFETCH_COOLDOWN=0)
    assert _get(client, stackauth_bearer("first@example.com")).status_code == 200
    emu.fail_next(1, path=JWKS, mode="500")
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        assert _get(client, stackauth_bearer("second@example.com")).status_code == 200
    assert emu.calls("GET", JWKS) == 2
    assert "JWKS refresh failed" in caplog.text
    # A key the cache does not hold cannot fall back: an outage, not a verdict on the token.
    emu.rotate_keys()
    emu.fail_next(1, path=JWKS, mode="500")
    unknown = _get(client, stackauth_bearer("third@example.com"))
    assert unknown.status_code == 503


def test_an_expired_token_in_the_verified_token_cache_is_refused(stackauth_config: dict[str, Any], emu: Any,
                                                                 token: str) -> None:
    client = _client(stackauth_config, STACK_CLOCK_LEEWAY=0)
    exp = int(time.time()) + 3
    short = mint(emu, token, exp=exp)
    assert _get(client, short).status_code == 200
    assert _get(client, short).status_code == 200  # from the verified-token cache
    while time.time() <= exp + 0.05:  # waits for the app's real clock; nothing is patched
        time.sleep(0.1)
    expired = _get(client, short)
    assert expired.status_code == 401
    assert expired.json["code"] == "ACCESS_TOKEN_EXPIRED"
