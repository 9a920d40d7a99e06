"""stack.server.api_keys and flask_stackauth.connected_api against the emulator, over real HTTP."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from flask_stackauth import NotSupportedByServer
from flask_stackauth.connected_api import list_connected_accounts, provider_access_token
from flask_stackauth.errors import (
    ApiKeyExpired,
    ApiKeyNotFound,
    ApiKeyRevoked,
    ApiKeysNotEnabled,
    InvalidApiKey,
    OAuthAccessTokenNotAvailableWithSharedOAuthKeys,
    OAuthConnectionDoesNotHaveRequiredScope,
    OAuthConnectionNotConnectedToUser,
    OAuthProviderNotFoundOrNotEnabled,
    StackAuthConfigError,
    TeamNotFound,
    UserNotFound,
    WrongApiKeyType,
)
from flask_stackauth.extension import get_state
from flask_stackauth.models import ApiKey, ConnectedAccount
from flask_stackauth.server import ServerAPI

MISSING = "ad962777-8244-496a-b6a2-e0c6a449c79e"


@pytest.fixture
def keys_on(emu: Any) -> Any:
    emu.project.allow_user_api_keys = True
    emu.project.allow_team_api_keys = True
    return emu


def test_user_key_lifecycle(server: ServerAPI, keys_on: Any, emu: Any) -> None:
    user = server.users.create(primary_email="keys@example.com")
    key = server.api_keys.create(user_id=user.id, description="CI")
    assert isinstance(key, ApiKey) and key.type == "user" and key.user_id == user.id == key.owner_id
    assert key.value is not None and len(key.value) == 102 and key.value.startswith("sk_")
    assert key.value not in repr(key) and key.last_four == key.value[-4:]
    assert key.expires_at is None and key.created_at is not None and not key.is_revoked

    checked = server.api_keys.check(key.value)
    assert checked == key and checked.value is None  # reads never carry the secret again
    (listed,) = server.api_keys.list(user_id=user.id)
    assert listed.id == key.id and listed.value is None

    revoked = server.api_keys.revoke(key)
    assert revoked.is_revoked and revoked.manually_revoked_at is not None
    assert server.api_keys.revoke(key.id).manually_revoked_at_millis == revoked.manually_revoked_at_millis
    with pytest.raises(ApiKeyRevoked) as info:
        server.api_keys.check(key.value)
    assert info.value.status == 401 and key.value not in str(info.value)

    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    expiring = server.api_keys.create(user_id=user.id, description="short", expires_at=later, is_public=True)
    assert expiring.is_public and expiring.value and expiring.value.startswith("pk_")
    assert expiring.expires_at is not None and abs((expiring.expires_at - later).total_seconds()) < 1
    emu.advance_clock(60)
    with pytest.raises(ApiKeyExpired):
        server.api_keys.check(expiring.value)


def test_team_keys_and_wrong_type(server: ServerAPI, keys_on: Any) -> None:
    team = server.teams.create(display_name="Keys")
    key = server.api_keys.create(team_id=team.id, description="deploy")
    assert key.type == "team" and key.team_id == team.id and key.user_id is None
    assert key.value is not None
    assert server.api_keys.check(key.value).team_id == team.id
    with pytest.raises(WrongApiKeyType) as info:
        server.api_keys.check(key.value, team=False)
    assert info.value.details == {"expected_type": "user", "actual_type": "team"}
    assert [k.id for k in server.api_keys.list(team_id=team.id)] == [key.id]
    assert server.api_keys.revoke(key).is_revoked


def test_bad_input_never_reaches_stack(server: ServerAPI, keys_on: Any, emu: Any) -> None:
    before = len(emu.call_log)
    for bad in ("", "sk_this-is-not-a-key", "x" * 5000, "sk_" + "a" * 99):
        with pytest.raises(ApiKeyNotFound):
            server.api_keys.check(bad)
    with pytest.raises(ApiKeyNotFound):
        server.api_keys.revoke("../../users")
    with pytest.raises(UserNotFound):
        server.api_keys.create(user_id="not-an-id", description="x")
    with pytest.raises(ValueError, match="exactly one"):
        server.api_keys.create(user_id=MISSING, team_id=MISSING, description="x")
    with pytest.raises(ValueError, match="timezone"):
        server.api_keys.create(user_id=MISSING, description="x", expires_at=datetime(2030, 1, 1))
    assert len(emu.call_log) == before


def test_unknown_keys_and_owners(server: ServerAPI, keys_on: Any) -> None:
    user = server.users.create(primary_email="owner@example.com")
    key = server.api_keys.create(user_id=user.id, description="gone")
    assert key.value is not None
    wrong_checksum = key.value[:-1] + ("0" if key.value[-1] != "0" else "1")
    with pytest.raises(ApiKeyNotFound) as info:
        server.api_keys.check(wrong_checksum)
    assert isinstance(info.value, InvalidApiKey) and info.value.status == 404
    with pytest.raises(UserNotFound):
        server.api_keys.create(user_id=MISSING, description="x")
    with pytest.raises(TeamNotFound):
        server.api_keys.list(team_id="nope")


def test_feature_off_is_a_config_error(server: ServerAPI, emu: Any, caplog: pytest.LogCaptureFixture) -> None:
    user = server.users.create(primary_email="off@example.com")
    emu.project.allow_user_api_keys = True
    key = server.api_keys.create(user_id=user.id, description="before")
    assert key.value is not None
    emu.project.allow_user_api_keys = False
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ApiKeysNotEnabled) as info:
        server.api_keys.check(key.value)
    assert isinstance(info.value, StackAuthConfigError) and info.value.kind == "user"
    assert "turned off" in str(info.value) and "dashboard" in str(info.value)
    with pytest.raises(ApiKeysNotEnabled, match="Team API keys"):
        server.api_keys.list(team_id=MISSING)
    assert key.value not in caplog.text


def test_v27_has_no_api_keys(server: ServerAPI, legacy: Any) -> None:
    legacy.project.allow_user_api_keys = True
    with pytest.raises(NotSupportedByServer, match="user API keys"):
        server.api_keys.list(user_id=MISSING)
    with pytest.raises(NotSupportedByServer):
        server.api_keys.check("sk_" + "a" * 45 + "0" * 32 + "user1574ck4u7h" + "0" * 8)


# --- connected accounts ----------------------------------------------------------------------------------------


def _oauth_user(emu: Any, email: str, provider: str = "github") -> str:
    user = emu.add_user(email=email, email_verified=True)
    user.oauth_providers.append({"id": provider, "account_id": email, "email": email})
    token: str = emu.create_session(user.id)["access_token"]
    return token


def test_connected_accounts_and_provider_tokens(app: Any, emu: Any) -> None:
    token = _oauth_user(emu, "conn@example.com")
    with app.app_context():
        client = get_state().client
        accounts = list_connected_accounts(client, token)
        assert accounts == [ConnectedAccount(accounts[0].user_id, "github", "conn@example.com")]
        first = provider_access_token(client, token, "github")
        assert first == provider_access_token(client, token, "github", scopes=["openid"])
        assert provider_access_token(client, token, "github", account_id="conn@example.com") == first
        with pytest.raises(OAuthConnectionDoesNotHaveRequiredScope) as missing:
            provider_access_token(client, token, "github", scopes=["repo", "admin:org"])
        assert missing.value.provider == "github" and missing.value.scopes == ("repo", "admin:org")
        with pytest.raises(OAuthConnectionNotConnectedToUser) as never:
            provider_access_token(client, token, "google")
        assert never.value.provider == "google"
        with pytest.raises(OAuthConnectionNotConnectedToUser):
            provider_access_token(client, token, "github", account_id="someone@example.com")
        with pytest.raises(OAuthProviderNotFoundOrNotEnabled):
            provider_access_token(client, token, "../users")
        with pytest.raises(ValueError):
            provider_access_token(client, token, "github", scopes=["two words"])


def test_connected_accounts_on_v27(app: Any, legacy: Any) -> None:
    token = _oauth_user(legacy, "old@example.com")
    with app.app_context():
        client = get_state().client
        with pytest.raises(NotSupportedByServer):
            list_connected_accounts(client, token)
        with pytest.raises(OAuthAccessTokenNotAvailableWithSharedOAuthKeys) as info:
            provider_access_token(client, token, "github")
        assert info.value.provider == "github"
