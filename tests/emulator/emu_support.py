"""Helpers for the emulator tests: headers, PKCE, authorize URLs and a whole sign-in."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.client import complete_oauth

APP_REDIRECT = "http://localhost:5000/auth/callback"
VERIFY_URL = "http://localhost:5000/handler/email-verification"
WIRE = Path(__file__).resolve().parents[2].parent / "shared" / "stackauth-wire"


def client_headers(server: EmulatorServer, access_token: str | None = None, **extra: str) -> dict[str, str]:
    """Client access headers (with the publishable key)."""
    h = {
        "x-stack-access-type": "client",
        "x-stack-project-id": server.project_id,
        "x-stack-publishable-client-key": server.publishable_key,
    }
    if access_token:
        h["x-stack-access-token"] = access_token
    h.update(extra)
    return h


def server_headers(server: EmulatorServer, access_token: str | None = None) -> dict[str, str]:
    """Server access headers (with the secret key)."""
    h = {
        "x-stack-access-type": "server",
        "x-stack-project-id": server.project_id,
        "x-stack-secret-server-key": server.secret_server_key,
    }
    if access_token:
        h["x-stack-access-token"] = access_token
    return h


def pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Flow:
    """One started OAuth flow."""

    url: str
    state: str
    verifier: str
    redirect_uri: str


def authorize_url(
    server: EmulatorServer, provider: str = "github", *, redirect_uri: str = APP_REDIRECT, **extra: str
) -> Flow:
    """Build an authorize URL with fresh state and PKCE."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(16)
    params = {
        "client_id": server.project_id,
        "client_secret": server.publishable_key,
        "redirect_uri": redirect_uri,
        "scope": "legacy",
        "state": state,
        "grant_type": "authorization_code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "response_type": "code",
    }
    params.update(extra)
    return Flow(
        f"{server.url}/api/v1/auth/oauth/authorize/{provider}?{urlencode(params)}", state, verifier, redirect_uri
    )


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL (first values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def exchange(server: EmulatorServer, flow: Flow, code: str, **overrides: Any) -> requests.Response:
    """POST the code to the token endpoint (form-encoded)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
        "client_id": server.project_id,
        "client_secret": server.publishable_key,
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return requests.post(f"{server.url}/api/v1/auth/oauth/token", data=data, timeout=10)


def sign_in(server: EmulatorServer, email: str, provider: str = "github") -> dict[str, Any]:
    """A whole OAuth sign-in; returns the token endpoint's JSON."""
    flow = authorize_url(server, provider)
    location = complete_oauth(flow.url, email)
    resp = exchange(server, flow, query_of(location)["code"])
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def password_user(server: EmulatorServer, email: str, password: str = "password123") -> dict[str, Any]:
    """Sign up a password user; returns ``{access_token, refresh_token, user_id}``."""
    resp = requests.post(
        f"{server.url}/api/v1/auth/password/sign-up",
        # v2.7 refuses a sign-up without a verification callback.
        json={"email": email, "password": password, "verification_callback_url": VERIFY_URL},
        headers=client_headers(server),
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT, unverified."""

    def dec(s: str) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        return out

    h, c, _ = token.split(".")
    return dec(h), dec(c)


def recording_or_skip(version: str, name: str) -> dict[str, Any]:
    """A recording file; skip without it, or fail under ``STACKAUTH_REQUIRE_RECORDINGS=1`` (CI)."""
    data = load_recording(version, name)
    if data is None:
        message = f"shared Stack Auth wire recordings not available at {WIRE / version / name}"
        # Set by .ci/run: there, missing recordings fail the recording tests instead of skipping them.
        if os.environ.get("STACKAUTH_REQUIRE_RECORDINGS") == "1":
            pytest.fail(message + " (STACKAUTH_REQUIRE_RECORDINGS=1)")
        pytest.skip(message)
    return data


def load_recording(version: str, name: str) -> dict[str, Any] | None:
    """A recording file, or ``None`` if the shared recordings are not there."""
    path = WIRE / version / name
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data
