"""The refresh leeway is clamped to half the access token's lifetime (issue 11, item 11).

With Stack's access-token lifetime at or under ``STACK_REFRESH_LEEWAY`` (20 s by default), every token looked
"about to expire" the moment it was issued, so every request refreshed.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from flask_stackauth.tokens import TokenSet
from flask_stackauth.verify import peek_claims
from tests.conftest import make_app

TOKEN = "/api/v1/auth/oauth/token"


def _tokens(server: Any, email: str) -> TokenSet:
    user = server.emulator.create_user(email)
    pair = server.emulator.create_session(user["id"])
    return TokenSet(pair["access_token"], pair["refresh_token"], int(peek_claims(pair["access_token"])["exp"]))


def test_short_lived_tokens_clamp_the_leeway_to_half_their_lifetime(stackauth_emulator: Any) -> None:
    stackauth_emulator.emulator.set_access_token_lifetime(15)
    tokens = _tokens(stackauth_emulator, "short-life@example.com")
    assert tokens.lifetime() == 15
    assert tokens.refresh_leeway(20) == 7.5
    assert not tokens.needs_refresh(20, now=tokens.expires_at - 15)  # just issued
    assert not tokens.needs_refresh(20, now=tokens.expires_at - 8)
    assert tokens.needs_refresh(20, now=tokens.expires_at - 7)
    assert tokens.needs_refresh(20, now=tokens.expires_at + 1)  # expired


def test_long_lived_tokens_keep_the_configured_leeway(stackauth_emulator: Any) -> None:
    tokens = _tokens(stackauth_emulator, "long-life@example.com")  # the emulator's default: 600 s
    assert tokens.refresh_leeway(20) == 20
    assert not tokens.needs_refresh(20, now=tokens.expires_at - 21)
    assert tokens.needs_refresh(20, now=tokens.expires_at - 19)


def test_a_token_without_iat_keeps_the_configured_leeway(stackauth_emulator: Any) -> None:
    stackauth_emulator.emulator.set_access_token_lifetime(15)
    tokens = _tokens(stackauth_emulator, "no-iat@example.com")
    claims = {k: v for k, v in peek_claims(tokens.access_token).items() if k != "iat"}
    no_iat = TokenSet(_with_claims(tokens.access_token, claims), tokens.refresh_token, tokens.expires_at)
    assert no_iat.lifetime() is None
    assert no_iat.refresh_leeway(20) == 20
    assert no_iat.needs_refresh(20, now=tokens.expires_at - 15)


def _with_claims(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"  # unsigned on purpose: only the claims are read here


def test_fifteen_second_tokens_do_not_refresh_on_every_request(
        stackauth_config: dict[str, Any], stackauth_emulator: Any, stackauth_login: Any) -> None:
    emu = stackauth_emulator.emulator
    emu.set_access_token_lifetime(15)
    client = make_app(stackauth_config).test_client()  # STACK_REFRESH_LEEWAY: the default 20 s
    stackauth_login(client, "fifteen@example.com")
    before = emu.calls("POST", TOKEN)
    for _ in range(3):
        assert client.get("/protected").status_code == 200
    assert emu.calls("POST", TOKEN) == before
