"""Replay ``password-result.json`` (forgot/reset/update/set password) of both real servers."""

from __future__ import annotations

import pytest
import requests
from replay_support import Replayer, recording

from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.contact_channels import send_verification_mail
from flask_stackauth.emulator.core import hash_password
from flask_stackauth.emulator.verification import _codes

PASSWORD = "correct-horse-battery-staple-1"


def _send_reset(rp: Replayer, email: str) -> str:
    resp = rp.send("send_reset_code", body={"email": email, "callback_url": "http://localhost:5000/handler/password-reset"})
    assert resp.status_code == 200
    return str(rp.last_mail("password_reset")["code"])


def _replay(server: EmulatorServer, emu: Emulator, version: str) -> None:
    rec = recording(version, "password-result.json")
    rp = Replayer(server, rec)
    email = rp.request_of("send_reset_code")["body"]["email"]
    user = emu.add_user(email=email, password=PASSWORD, email_auth_enabled=True)
    before = emu.new_session(user.id)
    rp.map(rp.request_of("refresh_token_of_session_before_reset")["form"]["refresh_token"], before.refresh_token)

    rp.check("send_reset_code")
    mail = rp.last_mail("password_reset")
    assert mail["subject"] == rec["reset_mail"]["subject"] and mail["to"] == email
    assert mail["link"] == rec["reset_mail"]["link_template"].replace("<code: 45 chars>", mail["code"])
    sent = len(emu.emails)
    rp.check("send_reset_code_unknown_email")
    assert len(emu.emails) == sent  # nothing is mailed to an unknown address
    rp.check("send_reset_code_callback_with_query")
    second = rp.last_mail("password_reset")
    template = rec["reset_mail_callback_with_query"]["link_template"]
    assert second["link"] == template.replace("<code: 45 chars>", second["code"])
    for step in ("err_send_reset_code_foreign_callback_known_email", "send_reset_code_foreign_callback_unknown_email",
                 "err_send_reset_code_missing_callback", "err_send_reset_code_missing_email",
                 "err_send_reset_code_bad_email", "err_send_reset_code_no_access_type",
                 "err_send_reset_code_text_plain_empty_body"):
        rp.check(step)

    rp.map(rp.code_of("check_code"), str(mail["code"]))
    rp.map(rp.code_of("check_code_b_still_valid"), str(second["code"]))
    send_verification_mail(emu, user, email, "http://localhost:5000/handler/email-verification")
    rp.map_code("err_check_code_of_other_type", "email_verification")
    for step in ("check_code", "check_code_upper_case", "err_check_code_unknown", "err_check_code_wrong_length",
                 "err_check_code_missing", "err_check_code_of_other_type", "err_reset_short_password",
                 "err_reset_after_short_password", "err_check_code_after_short_password", "err_reset_long_password",
                 "err_reset_missing_password", "check_code_b_still_valid", "reset", "err_reset_reuse",
                 "err_check_code_after_use", "sign_in_new_password", "err_sign_in_old_password",
                 "refresh_token_of_session_before_reset"):
        rp.check(step)

    rp.map(rp.code_of("reset_password_as_json_number"), _send_reset(rp, email))
    rp.check("reset_password_as_json_number")
    rp.check("sign_in_with_number_password_as_string")

    expired = _send_reset(rp, email)
    rp.map(rp.code_of("err_check_code_expired"), expired)
    with emu.lock:
        _codes(emu)[expired].expires_at = emu.now() - 60
    rp.check("err_check_code_expired")
    rp.check("err_reset_expired")
    guarded = _send_reset(rp, email)
    for i in range(20):
        wrong = format(i, "06d").replace("0", "x") + guarded[6:]
        resp = rp.send("check_code", body={"code": wrong})
        assert resp.status_code == 404 and resp.headers["x-stack-known-error"] == "VERIFICATION_CODE_NOT_FOUND"
    rp.map(rp.code_of("err_check_code_after_20_wrong_attempts"), guarded)
    rp.check("err_check_code_after_20_wrong_attempts")

    # The recorder put the password back before the update steps.
    with emu.lock:
        user.password_hash = hash_password(PASSWORD + "-reset")
    s1, s2 = emu.create_session(user.id), emu.create_session(user.id)
    rp.session("pw-s1", s1)
    rp.map(rp.request_of("refresh_current_session_after_update")["form"]["refresh_token"], s1["refresh_token"])
    rp.map(rp.request_of("err_refresh_other_session_after_update")["form"]["refresh_token"], s2["refresh_token"])
    for step in ("err_update_wrong_old_password", "err_update_short_new_password", "err_update_missing_old_password",
                 "err_update_no_session", "err_update_server_key_no_user", "update",
                 "refresh_current_session_after_update", "err_refresh_other_session_after_update",
                 "sign_in_after_update"):
        rp.check(step)

    oauth_email = rp.request_of("oauth_user_send_reset_code")["body"]["email"]
    oauth = emu.add_user(email=oauth_email, email_verified=True)
    oauth.oauth_providers.append({"id": "github", "account_id": oauth_email, "email": oauth_email})
    rp.session("pw-oauth", emu.create_session(oauth.id))
    me = rp.check("oauth_user_me_before_set").json()
    assert me["has_password"] is False and me["auth_with_email"] is False
    for step in ("err_update_oauth_only_user", "err_set_short", "err_set_no_session", "set"):
        rp.check(step)
    me = rp.check("oauth_user_me_after_set").json()
    assert me["has_password"] is True and me["auth_with_email"] is True
    for step in ("err_set_again", "oauth_user_sign_in_with_set_password", "oauth_user_send_reset_code"):
        rp.check(step)

    rp.map(rp.code_of("disabled_check_code_still_ok"), _send_reset(rp, email))
    rp.session("pw-s3", emu.create_session(user.id))
    oauth2 = emu.add_user(email="rec-pw-oauth2@example.com", email_verified=True)
    rp.session("pw-oauth2", emu.create_session(oauth2.id))
    off = requests.post(f"{server.url}/_emulator/project", json={"credential_enabled": False}, timeout=10)
    assert off.status_code == 200 and off.json()["credential_enabled"] is False
    for step in ("projects_current_password_disabled", "err_disabled_send_reset_code", "disabled_check_code_still_ok",
                 "err_disabled_reset", "err_disabled_update", "err_disabled_set", "err_disabled_sign_in"):
        rp.check(step)
    requests.post(f"{server.url}/_emulator/project", json={"credential_enabled": True}, timeout=10)
    rp.check("err_reset_after_disabled_attempt")


def test_password_routes_match_v2_8(server: EmulatorServer, emu: Emulator) -> None:
    emu.project.client_team_creation_enabled = True  # as in the recorded dev seed
    _replay(server, emu, "v2.8.86")


def test_password_routes_match_v2_7(legacy_server: EmulatorServer) -> None:
    legacy_server.emulator.project.client_team_creation_enabled = True
    _replay(legacy_server, legacy_server.emulator, "v2.7.16")


def test_unknown_email_delay_is_a_setting(server: EmulatorServer) -> None:
    bad = requests.post(f"{server.url}/_emulator/account-settings", json={"unknown_email_delay": "soon"}, timeout=10)
    assert bad.status_code == 400
    ok = requests.post(f"{server.url}/_emulator/account-settings", json={"unknown_email_delay": 0.2}, timeout=10)
    assert ok.status_code == 200 and ok.json()["unknown_email_delay"] == 0.2


@pytest.mark.parametrize("flag", ["nonsense", "display_name"])
def test_project_config_control_refuses_unknown_flags(server: EmulatorServer, flag: str) -> None:
    resp = requests.post(f"{server.url}/_emulator/project", json={flag: True}, timeout=10)
    assert resp.status_code == 400 and flag in resp.json()["error"]
