"""Replay ``account-result.json`` (PATCH/DELETE /users/me, sessions, projects/current) of both real servers."""

from __future__ import annotations

import requests
from replay_support import Replayer, assert_like, recording

from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.account_settings import configure_project
from flask_stackauth.emulator.state import Team, new_id
from flask_stackauth.emulator.teams import add_member

PASSWORD = "correct-horse-battery-staple-1"


def _path_id(rp: Replayer, step: str) -> str:
    return rp.request_of(step)["path"].split("?")[0].rsplit("/", 1)[1]


def _replay(server: EmulatorServer, emu: Emulator, version: str) -> None:
    rec = recording(version, "account-result.json")
    legacy = version.startswith("v2.7")
    rp = Replayer(server, rec)
    configure_project(emu, client_team_creation_enabled=True)  # the recorded dev seed
    email = rp.request_of("sign_in_after_totp_disabled")["body"]["email"]
    user = emu.add_user(email=email, password=PASSWORD, email_auth_enabled=True)
    rp.session("acct", emu.create_session(user.id))

    for step in ("projects_current", "projects_current_no_key", "projects_current_server"):
        got = rp.check(step)
        if got.status_code == 200:
            assert list(got.json()["config"]) == list(rec[step]["body"]["config"])
    wrong = rp.send("err_projects_current_wrong_project")
    assert wrong.status_code == 200  # same project id here; the header override follows
    resp = requests.get(f"{server.url}/api/v1/projects/current", timeout=10, headers={
        "x-stack-access-type": "client", "x-stack-project-id": "no-such-project",
        "x-stack-publishable-client-key": server.publishable_key})
    assert_like(resp, rec["err_projects_current_wrong_project"], step="err_projects_current_wrong_project")

    for step in ("users_me", "patch_display_name", "patch_display_name_null", "patch_client_metadata",
                 "patch_client_metadata_replaces", "patch_empty_body", "err_patch_client_read_only_metadata",
                 "err_patch_server_metadata", "err_patch_unknown_field", "err_patch_display_name_number",
                 "err_patch_profile_image_https_url"):
        rp.check(step)
    assert user.client_metadata == rec["patch_client_metadata_replaces"]["request"]["body"]["client_metadata"]
    data_url = rp.send("patch_profile_image_data_url")  # v2.8.86's 500 is its missing object storage
    assert data_url.status_code == 200 and data_url.json()["profile_image_url"].startswith("data:image/png;base64,")
    for step in ("patch_profile_image_null", "server_patch_profile_image_https_url", "err_patch_no_session",
                 "err_patch_server_key_no_session", "patch_server_key_with_session", "err_patch_garbage_token"):
        rp.check(step)

    mine = Team(id=new_id(), display_name="Mine", created_at=emu.now())
    theirs = Team(id=new_id(), display_name="Theirs", created_at=emu.now())
    emu.data.teams.update({mine.id: mine, theirs.id: theirs})
    add_member(emu, mine, user.id, "member")
    rp.map(rp.request_of("patch_selected_team")["body"]["selected_team_id"], mine.id)
    rp.map(rp.request_of("err_patch_selected_team_not_member")["body"]["selected_team_id"], theirs.id)
    for step in ("patch_selected_team", "err_patch_selected_team_not_member", "err_patch_selected_team_unknown",
                 "err_patch_selected_team_not_uuid", "patch_selected_team_null", "err_patch_totp_not_base64"):
        rp.check(step)
    assert rp.check("patch_totp_enable").json()["requires_totp_mfa"] is True
    rp.check("err_sign_in_requires_mfa")
    assert rp.check("users_me_totp_on").json()["requires_totp_mfa"] is True
    assert rp.check("patch_totp_disable").json()["requires_totp_mfa"] is False
    rp.check("sign_in_after_totp_disabled")

    s1 = emu.new_session(user.id)
    s2 = emu.new_session(user.id)
    s3 = emu.new_session(user.id)
    rp.session("acct-s1", {"access_token": emu.access_token_for_session(s1), "refresh_token": s1.refresh_token})
    rp.session("acct-s2", {"access_token": emu.access_token_for_session(s2), "refresh_token": s2.refresh_token})
    stranger = emu.add_user(email="rec-acct-other@example.com")
    foreign = emu.new_session(stranger.id)
    rp.map(rp.request_of("err_sessions_list_other_user")["path"].split("user_id=")[1], stranger.id)
    rp.map(_path_id(rp, "err_session_delete_current"), s1.id)
    rp.map(_path_id(rp, "err_session_delete_other_users"), foreign.id)
    rp.map(_path_id(rp, "session_delete_other_of_same_user"), s2.id)
    rp.map(_path_id(rp, "server_session_delete_with_user_id"), s3.id)
    rp.map(rp.request_of("err_refresh_deleted_session")["form"]["refresh_token"], s2.refresh_token)
    rp.map(rp.request_of("err_refresh_server_deleted_session")["form"]["refresh_token"], s3.refresh_token)
    listing = rp.check("sessions_list")
    if not legacy:
        items = listing.json()["items"]
        assert [i["id"] for i in items if i["is_current_session"]] == [s1.id]
        assert list(items[0]) == list(rec["sessions_list"]["body"]["items"][0])
    for step in ("err_sessions_list_other_user", "err_sessions_list_without_user_id", "err_sessions_list_no_session",
                 "server_sessions_list", "err_session_delete_current", "err_session_delete_other_users",
                 "err_session_delete_unknown", "err_session_delete_not_uuid", "err_session_delete_without_user_id",
                 "session_delete_other_of_same_user", "err_refresh_deleted_session",
                 "access_token_of_deleted_session_still_works", "sessions_list_after_delete",
                 "err_server_session_delete_as_server_sdk_sends", "server_session_delete_with_user_id",
                 "err_refresh_server_deleted_session", "sign_out_current"):
        rp.check(step)
    again = rp.send("err_sign_out_again")  # v2.8.86: a 500 (a server bug); v2.7.16 and the emulator: 401
    assert again.status_code == 401 and again.headers["x-stack-known-error"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"

    doomed = emu.add_user(email="rec-acct-delete@example.com", password=PASSWORD, email_auth_enabled=True)
    doomed_tokens = emu.create_session(doomed.id)
    rp.session("acct-delete", doomed_tokens)
    rp.map(rp.request_of("err_refresh_after_delete")["form"]["refresh_token"], doomed_tokens["refresh_token"])
    rp.map(rp.request_of("err_server_get_deleted_user")["path"].rsplit("/", 1)[1], doomed.id)
    rp.check("err_delete_me_not_allowed")
    rp.check("err_delete_me_no_session")
    configure_project(emu, client_user_deletion_enabled=True)
    assert rp.check("projects_current_deletion_enabled").json()["config"]["client_user_deletion_enabled"] is True
    for step in ("delete_me", "err_users_me_after_delete", "err_refresh_after_delete", "err_delete_me_again",
                 "err_server_get_deleted_user"):
        rp.check(step)
    configure_project(emu, client_user_deletion_enabled=False)
    rp.check("projects_current_after_restore")
    kept = emu.add_user(email="rec-acct-delete2@example.com")
    rp.session("acct-delete2", emu.create_session(kept.id))
    rp.check("server_delete_user_allowed_regardless")
    assert kept.id not in emu.data.users


def test_account_routes_match_v2_8(server: EmulatorServer, emu: Emulator) -> None:
    _replay(server, emu, "v2.8.86")


def test_account_routes_match_v2_7(legacy_server: EmulatorServer) -> None:
    _replay(legacy_server, legacy_server.emulator, "v2.7.16")
