"""Red team: the team pages' authorization, against the emulator over HTTP."""

from __future__ import annotations

from typing import Any

from tests.redteam.support import TEAMS, create_team, grant, pending_invitations, recorded_app
from tests.teams_mfa.support import post, text


def test_revoking_another_teams_invitation_never_reaches_stack(stackauth_config: dict[str, Any],
                                                               stackauth_emulator: Any,
                                                               stackauth_login: Any) -> None:
    # Real servers check the member's $remove_members in ?team_id= and then delete the invitation by id
    # alone (team-invitations/crud.tsx onDelete -> revokeCode({id})): an admin of one team could revoke
    # another team's invitations. The library must check the invitation belongs to the team first.
    server = stackauth_emulator
    with recorded_app(stackauth_config, server) as (app, calls):
        mallory, alice = app.test_client(), app.test_client()
        mallory_user = stackauth_login(mallory, "mallory@example.com")
        alice_user = stackauth_login(alice, "alice@example.com")
        own = create_team(mallory, "Mine")
        grant(server, own, mallory_user["id"], "$remove_members")
        grant(server, own, mallory_user["id"], "$invite_members")
        theirs = create_team(alice, "Theirs")
        grant(server, theirs, alice_user["id"], "$invite_members")
        sent = post(alice, f"{TEAMS}/{theirs}/invite", {"email": "bob@example.com"}, page=f"{TEAMS}/{theirs}")
        assert sent.status_code == 303, text(sent)
        (victim,) = pending_invitations(server, theirs)
        calls.clear()
        answer = post(mallory, f"{TEAMS}/{own}/invitations/{victim}/revoke", page=f"{TEAMS}/{own}")
        assert answer.status_code == 404, text(answer)
        assert "already accepted or revoked" in text(answer)
        assert ("DELETE", f"/api/v1/team-invitations/{victim}") not in calls
        assert pending_invitations(server, theirs) == [victim]


def test_revoking_an_invitation_of_the_team_still_works(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                        stackauth_login: Any) -> None:
    server = stackauth_emulator
    with recorded_app(stackauth_config, server) as (app, calls):
        client = app.test_client()
        user = stackauth_login(client, "ada@example.com")
        team = create_team(client, "Mine")
        grant(server, team, user["id"], "$remove_members")
        grant(server, team, user["id"], "$invite_members")
        assert post(client, f"{TEAMS}/{team}/invite", {"email": "bob@example.com"},
                    page=f"{TEAMS}/{team}").status_code == 303
        (invitation,) = pending_invitations(server, team)
        answer = post(client, f"{TEAMS}/{team}/invitations/{invitation}/revoke", page=f"{TEAMS}/{team}")
        assert answer.status_code == 303, text(answer)
        assert ("DELETE", f"/api/v1/team-invitations/{invitation}") in calls
        assert pending_invitations(server, team) == []
