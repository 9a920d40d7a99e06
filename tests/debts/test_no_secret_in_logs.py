"""No secret in any log record on the failure paths: refresh refused, refresh outage, callback errors, token
verification failures, a refused password and a failed sign-out, with the root logger at DEBUG.

Every record is formatted as a handler would write it (exception text and stack included). The secrets are
the ones the flows really used: access and refresh tokens, the authorization code, the PKCE verifier, the
password and the secret server key.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from flask_stackauth import StackAuth
from flask_stackauth.errors import StackAuthError
from tests.conftest import make_app
from tests.helpers import (
    DROP,
    age_session,
    callback_for,
    mint,
    pending_verifier,
    query_of,
    session_tokens,
    sign_out,
    start_login,
    store_session,
)
from tests.signin.signin_support import PASSWORD, password_user, post_form

TOKEN = "/api/v1/auth/oauth/token"
JWKS = "/api/v1/projects/internal/.well-known/jwks.json"
JSON = {"Accept": "application/json"}


class _Secrets:
    def __init__(self) -> None:
        self.values: set[str] = set()

    def add(self, *values: str | None) -> None:
        self.values.update(v for v in values if v)

    def tokens_of(self, client: Any) -> None:
        tokens = session_tokens(client)
        if tokens is not None:
            self.add(tokens.access_token, tokens.refresh_token)


def _callback(client: Any, secrets: _Secrets, email: str = "ada@example.com") -> str:
    authorize = start_login(client)
    callback = callback_for(authorize, email)
    secrets.add(query_of(callback)["code"], pending_verifier(client, query_of(authorize)["state"]))
    return callback


@pytest.fixture
def all_records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # the root logger, so every library's records are captured too
    logging.getLogger("flask_stackauth").setLevel(logging.DEBUG)
    return caplog


def _app(config: dict[str, Any]) -> Flask:
    # A JWKS cache that expires at once, so the outage below meets a refetch.
    return make_app({**config, "STACK_JWKS_CACHE_TTL": 0, "STACK_JWKS_REFETCH_COOLDOWN": 0})


def test_no_secret_in_any_failure_path_log_record(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                  emu: Any, all_records: pytest.LogCaptureFixture) -> None:
    app = _app(stackauth_config)
    client = app.test_client()
    secrets = _Secrets()
    secrets.add(stackauth_emulator.secret_server_key, PASSWORD)

    # Callback errors: Stack's error redirect, a forged state, a refused code, an outage at the exchange
    # and at the JWKS.
    client.get("/auth/callback?errorCode=OAUTH_PROVIDER_ACCESS_DENIED&message=denied")
    forged = _callback(client, secrets)
    assert client.get(forged.replace(query_of(forged)["state"], "forged")).status_code == 400
    emu.fail_next(1, path=TOKEN, mode="500")
    assert client.get(_callback(client, secrets)).status_code == 502
    emu.fail_next(1, path=TOKEN, mode="garbage")
    assert client.get(_callback(client, secrets)).status_code == 502
    emu.fail_next(1, path=JWKS, mode="500")
    assert client.get(_callback(client, secrets)).status_code == 502
    first, second = start_login(client), start_login(client)
    used = callback_for(first, "ada@example.com")
    secrets.add(query_of(used)["code"], pending_verifier(client, query_of(second)["state"]))
    assert client.get(used).status_code == 302
    secrets.tokens_of(client)
    assert client.get(used.replace(query_of(used)["state"], query_of(second)["state"])).status_code == 400

    # Refresh outage while the token lasts, then once it has expired.
    age_session(client, 10)
    emu.fail_next(1, path=TOKEN, mode="500")
    assert client.get("/protected").status_code == 200
    age_session(client, -30)
    emu.fail_next(1, path=TOKEN, mode="500")
    assert client.get("/protected", headers=JSON).status_code == 503

    # Refresh refused: the refresh token was revoked.
    age_session(client, 5)
    tokens = session_tokens(client)
    assert tokens is not None
    emu.revoke_refresh_token(tokens.refresh_token)
    assert client.get("/protected", headers=JSON).status_code == 401

    # Verification failures: a session token of another issuer, bearer tokens that are expired, forged, of
    # no subject, or that need a JWKS Stack Auth cannot serve right now.
    assert client.get(_callback(client, secrets)).status_code == 302
    secrets.tokens_of(client)
    good = session_tokens(client)
    assert good is not None
    odd = mint(emu, good.access_token, iss="https://elsewhere.example/api/v1/projects/internal")
    secrets.add(odd)
    store_session(client, odd, good.refresh_token)
    assert client.get("/protected", headers=JSON).status_code == 401
    bearer = emu.create_session(emu.create_user("api@example.com")["id"])
    secrets.add(bearer["access_token"], bearer["refresh_token"])
    for token in (mint(emu, bearer["access_token"], exp=1), mint(emu, bearer["access_token"], sub=DROP),
                  bearer["access_token"][:-4] + "AAAA"):
        secrets.add(token)
        assert client.get("/protected", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    emu.fail_next(2, path=JWKS, mode="500")
    emu.rotate_keys()  # a key the app has not seen, and the JWKS is down
    rotated = emu.create_session(emu.create_user("rotated@example.com")["id"])["access_token"]
    secrets.add(rotated)
    assert client.get("/", headers={"Authorization": f"Bearer {rotated}"}).json["signed_in"] is False
    assert client.get("/protected", headers={"Authorization": f"Bearer {rotated}"}).status_code >= 500

    # A refused password, and a sign-out Stack Auth cannot take.
    password_user(stackauth_emulator, "pw@example.com")
    refused = post_form(client, "/auth/password", {"email": "pw@example.com", "password": PASSWORD + "-wrong"})
    assert refused.status_code == 400
    secrets.add(PASSWORD + "-wrong")
    assert client.get(_callback(client, secrets)).status_code == 302
    secrets.tokens_of(client)
    emu.fail_next(2, path="/api/v1/auth/sessions/current", mode="500")  # one failure is retried
    assert sign_out(client).status_code < 400

    # The server API failing (its key is in every request's headers).
    with app.app_context():
        emu.fail_next(1, path="/api/v1/users", mode="500")
        with pytest.raises(StackAuthError):
            StackAuth().server.users.get("missing")
        with pytest.raises(StackAuthError):
            StackAuth().server.users.get("missing")

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    records = [r for r in all_records.records if not r.name.startswith("flask_stackauth.emulator")]
    text = "\n".join(formatter.format(r) for r in records)
    for path in ("could not refresh the access token", "refresh token rejected", "access token was refused",
                 "treating the request as signed out", "sign-in form refused", "could not revoke the session",
                 "SignInError", "flask_stackauth DEBUG Stack Auth ",
                 "urllib3.connectionpool DEBUG"):
        assert path in text, f"the flow did not reach the log line {path!r}"
    leaked = [s for s in secrets.values if s in text]
    assert not leaked, f"{len(leaked)} secret(s) in the log records"
