"""stack.server.sessions: create a token pair, list, and revoke with our own ownership check."""

from __future__ import annotations

from typing import Any

import pytest

from flask_stackauth import NotSupportedByServer, SessionNotFound, TokenPair, UserNotFound
from flask_stackauth.server import ServerAPI


def test_created_pair_signs_in_as_a_bearer(server: ServerAPI, client: Any) -> None:
    user = server.users.create(primary_email="bearer@example.com")
    pair = server.sessions.create(user.id)
    assert isinstance(pair, TokenPair)
    assert pair.access_token not in repr(pair) and pair.refresh_token not in repr(pair)
    response = client.get("/me", headers={"Authorization": f"Bearer {pair.access_token}"})
    assert response.status_code == 200 and response.json["id"] == user.id


def test_create_for_unknown_user(server: ServerAPI) -> None:
    with pytest.raises(UserNotFound) as info:
        server.sessions.create("3241a285-8329-4d69-8f3d-316e08cf140c")
    assert info.value.code == "USER_ID_DOES_NOT_EXIST"


def test_list_and_revoke_own_session(server: ServerAPI, emu: Any) -> None:
    user = server.users.create(primary_email="s@example.com")
    first, second = server.sessions.create(user.id), server.sessions.create(user.id)
    sessions = server.sessions.list(user.id)
    assert len(sessions) == 2 and {s.user_id for s in sessions} == {user.id}
    assert all(s.created_at and not s.is_impersonation for s in sessions)
    target = next(s for s in sessions if emu.valid_session(first.refresh_token).id == s.id)
    server.sessions.revoke(target.id, user_id=user.id)
    assert emu.valid_session(first.refresh_token) is None
    assert emu.valid_session(second.refresh_token) is not None
    assert target.id not in {s.id for s in server.sessions.list(user.id)}
    with pytest.raises(SessionNotFound):
        server.sessions.revoke(target.id, user_id=user.id)


def test_revoking_another_users_session_is_refused(server: ServerAPI, emu: Any, client: Any) -> None:
    alice = server.users.create(primary_email="alice@example.com")
    bob = server.users.create(primary_email="bob@example.com")
    server.sessions.create(alice.id)
    bobs = server.sessions.create(bob.id)
    bob_session = server.sessions.list(bob.id)[0]
    calls = emu.calls("DELETE")
    with pytest.raises(SessionNotFound) as info:
        server.sessions.revoke(bob_session.id, user_id=alice.id)
    assert info.value.http_status == 404
    assert emu.calls("DELETE") == calls  # refused before Stack Auth was asked
    assert emu.valid_session(bobs.refresh_token) is not None
    with pytest.raises(SessionNotFound):
        server.sessions.revoke("not-a-session", user_id=alice.id)


def test_legacy_server_cannot_list_or_revoke_sessions(server: ServerAPI, legacy: Any) -> None:
    user = server.users.create(primary_email="old@example.com")
    server.sessions.create(user.id)  # v2.7 can create sessions
    with pytest.raises(NotSupportedByServer) as info:
        server.sessions.list(user.id)
    assert "listing sessions" in str(info.value) and "405" in str(info.value)
    with pytest.raises(NotSupportedByServer):
        server.sessions.revoke("3241a285-8329-4d69-8f3d-316e08cf140c", user_id=user.id)
