"""``account_api`` against what real Stack Auth v2.7.16 and v2.8.86 servers recorded.

Each case runs one of our functions against a loopback server that answers with a step's recorded answer, then
checks that the request we sent is the one Stack's JS SDK sent for that step (method, path, query, access type,
header names, body) and that the recorded answer (success shape, known error, plain-text error, a route v2.7
lacks) becomes the documented result or typed error.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fidelity_support import ACCESS, REFRESH, VERSIONS, RecordedStack, assert_same_request, path_part, step

from flask_stackauth import account_api as api
from flask_stackauth.client import StackAuthClient
from flask_stackauth.errors import (
    CannotDeleteCurrentSession,
    ContactChannelAlreadyExists,
    ContactChannelAlreadyUsedForAuthBySomeoneElse,
    ContactChannelNotFound,
    EmailAlreadyVerified,
    FeatureNotEnabled,
    ItemQuantityInsufficientAmount,
    NotSupportedByServer,
    PasswordAlreadySet,
    PasswordAuthenticationNotEnabled,
    PasswordConfirmationMismatch,
    PasswordTooShort,
    RedirectUrlNotWhitelisted,
    SessionNotFound,
    StackAuthUnavailable,
    TeamInvitationNotFound,
    TeamMembershipNotFound,
    TeamPermissionRequired,
    UserAuthenticationRequired,
    UserDoesNotHavePassword,
    VerificationCodeAlreadyUsed,
    VerificationCodeExpired,
    VerificationCodeMaxAttemptsReached,
    VerificationCodeNotFound,
)
from flask_stackauth.models import ContactChannel, Session, Team

Call = Callable[[StackAuthClient, dict[str, Any]], Any]
Expect = Any  # an exception class, or a predicate on the result

body = lambda rec: rec["request"]["body"]  # noqa: E731
query = lambda rec, key: rec["request"]["path"].split(f"{key}=")[1].split("&")[0]  # noqa: E731


def _ok(check: Callable[[Any], bool] = lambda result: result is None) -> Callable[[Any], bool]:
    return check


def _channel(rec: dict[str, Any]) -> Callable[[Any], bool]:
    want = rec["body"]
    return lambda c: isinstance(c, ContactChannel) and (c.id, c.value, c.is_primary, c.is_verified, c.used_for_auth) \
        == (want["id"], want["value"], want["is_primary"], want["is_verified"], want["used_for_auth"])


#: (recording, step, our call, expected on v2.7.16, expected on v2.8.86); ``None`` means "same as v2.8".
CASES: list[tuple[str, str, Call, Expect, Expect]] = [
    # --- passwords ---
    ("password", "send_reset_code",
     lambda c, r: api.send_password_reset(c, body(r)["email"], body(r)["callback_url"]), _ok(), None),
    ("password", "err_send_reset_code_foreign_callback_known_email",
     lambda c, r: api.send_password_reset(c, body(r)["email"], body(r)["callback_url"]),
     RedirectUrlNotWhitelisted, None),
    ("password", "err_disabled_send_reset_code",
     lambda c, r: api.send_password_reset(c, body(r)["email"], body(r)["callback_url"]),
     PasswordAuthenticationNotEnabled, None),
    ("password", "check_code", lambda c, r: api.check_password_reset_code(c, body(r)["code"]), _ok(), None),
    ("password", "err_check_code_unknown", lambda c, r: api.check_password_reset_code(c, body(r)["code"]),
     VerificationCodeNotFound, None),
    ("password", "err_check_code_after_use", lambda c, r: api.check_password_reset_code(c, body(r)["code"]),
     VerificationCodeAlreadyUsed, None),
    ("password", "err_check_code_expired", lambda c, r: api.check_password_reset_code(c, body(r)["code"]),
     VerificationCodeExpired, None),
    ("password", "err_check_code_after_20_wrong_attempts",
     lambda c, r: api.check_password_reset_code(c, body(r)["code"]), VerificationCodeMaxAttemptsReached, None),
    ("password", "reset", lambda c, r: api.reset_password(c, body(r)["code"], body(r)["password"]), _ok(), None),
    ("password", "err_reset_short_password", lambda c, r: api.reset_password(c, body(r)["code"], body(r)["password"]),
     PasswordTooShort, None),
    ("password", "err_reset_reuse", lambda c, r: api.reset_password(c, body(r)["code"], body(r)["password"]),
     VerificationCodeAlreadyUsed, None),
    ("password", "update",
     lambda c, r: api.update_password(c, ACCESS, body(r)["old_password"], body(r)["new_password"],
                                      refresh_token=REFRESH), _ok(), None),
    ("password", "err_update_wrong_old_password",
     lambda c, r: api.update_password(c, ACCESS, body(r)["old_password"], body(r)["new_password"],
                                      refresh_token=REFRESH), PasswordConfirmationMismatch, None),
    ("password", "err_update_oauth_only_user",
     lambda c, r: api.update_password(c, ACCESS, body(r)["old_password"], body(r)["new_password"],
                                      refresh_token=REFRESH), UserDoesNotHavePassword, None),
    ("password", "set", lambda c, r: api.set_password(c, ACCESS, body(r)["password"]), _ok(), None),
    ("password", "err_set_again", lambda c, r: api.set_password(c, ACCESS, body(r)["password"]),
     PasswordAlreadySet, None),
    ("password", "err_set_short", lambda c, r: api.set_password(c, ACCESS, body(r)["password"]),
     PasswordTooShort, None),
    # --- contact channels and verification ---
    ("verification", "list", lambda c, r: api.list_contact_channels(c, ACCESS),
     lambda got: len(got) == 1 and got[0].is_primary and got[0].used_for_auth and not got[0].is_verified, None),
    ("verification", "create",
     lambda c, r: api.create_contact_channel(c, ACCESS, body(r)["value"], used_for_auth=body(r)["used_for_auth"]),
     "channel", None),
    ("verification", "err_create_duplicate",
     lambda c, r: api.create_contact_channel(c, ACCESS, body(r)["value"], used_for_auth=body(r)["used_for_auth"]),
     ContactChannelAlreadyExists, None),
    ("verification", "err_create_used_for_auth_taken",
     lambda c, r: api.create_contact_channel(c, ACCESS, body(r)["value"], used_for_auth=body(r)["used_for_auth"]),
     ContactChannelAlreadyUsedForAuthBySomeoneElse, None),
    ("verification", "make_primary",
     lambda c, r: api.update_contact_channel(c, ACCESS, path_part(r, 5), is_primary=True), "channel", None),
    ("verification", "set_used_for_auth",
     lambda c, r: api.update_contact_channel(c, ACCESS, path_part(r, 5), used_for_auth=True), "channel", None),
    ("verification", "update_value_resets_verified",
     lambda c, r: api.update_contact_channel(c, ACCESS, path_part(r, 5), value=body(r)["value"]), "channel", None),
    ("verification", "err_update_unknown",
     lambda c, r: api.update_contact_channel(c, ACCESS, path_part(r, 5), is_primary=True),
     ContactChannelNotFound, None),
    ("verification", "delete", lambda c, r: api.delete_contact_channel(c, ACCESS, path_part(r, 5)), _ok(), None),
    ("verification", "err_delete_again", lambda c, r: api.delete_contact_channel(c, ACCESS, path_part(r, 5)),
     ContactChannelNotFound, None),
    ("verification", "send_verification_code",
     lambda c, r: api.send_contact_channel_verification(c, ACCESS, path_part(r, 5), body(r)["callback_url"]),
     _ok(), None),
    ("verification", "err_send_unknown_channel",  # a plain-text 404 that is not a missing route
     lambda c, r: api.send_contact_channel_verification(c, ACCESS, path_part(r, 5), body(r)["callback_url"]),
     ContactChannelNotFound, None),
    ("verification", "err_send_foreign_callback",
     lambda c, r: api.send_contact_channel_verification(c, ACCESS, path_part(r, 5), body(r)["callback_url"]),
     RedirectUrlNotWhitelisted, None),
    ("verification", "err_send_already_verified",
     lambda c, r: api.send_contact_channel_verification(c, ACCESS, path_part(r, 5), body(r)["callback_url"]),
     EmailAlreadyVerified, None),
    ("verification", "check_code", lambda c, r: api.check_email_verification_code(c, body(r)["code"]), _ok(), None),
    ("verification", "err_check_code_unknown", lambda c, r: api.check_email_verification_code(c, body(r)["code"]),
     VerificationCodeNotFound, None),
    ("verification", "verify", lambda c, r: api.verify_email(c, body(r)["code"]), _ok(), None),
    ("verification", "err_verify_reuse", lambda c, r: api.verify_email(c, body(r)["code"]),
     VerificationCodeAlreadyUsed, None),
    # v2.7 answers a 500 (a server bug), v2.8 a plain-text 400.
    ("verification", "err_verify_code_of_deleted_channel", lambda c, r: api.verify_email(c, body(r)["code"]),
     StackAuthUnavailable, ContactChannelNotFound),
    # --- sessions, the account ---
    ("account", "sessions_list", lambda c, r: api.list_sessions(c, ACCESS), NotSupportedByServer,
     lambda got: len(got) >= 2 and all(isinstance(s, Session) and s.id and s.created_at for s in got)
     and sum(s.is_current_session for s in got) == 1),
    ("account", "session_delete_other_of_same_user",
     lambda c, r: api.revoke_session(c, ACCESS, path_part(r, 5)), NotSupportedByServer, _ok()),
    ("account", "err_session_delete_current", lambda c, r: api.revoke_session(c, ACCESS, path_part(r, 5)),
     NotSupportedByServer, CannotDeleteCurrentSession),
    ("account", "err_session_delete_unknown", lambda c, r: api.revoke_session(c, ACCESS, path_part(r, 5)),
     NotSupportedByServer, SessionNotFound),
    ("account", "delete_me", lambda c, r: api.delete_me(c, ACCESS), _ok(), None),
    ("account", "err_delete_me_not_allowed", lambda c, r: api.delete_me(c, ACCESS), FeatureNotEnabled, None),
    ("account", "patch_totp_enable",
     lambda c, r: api.set_totp_secret(c, ACCESS, __import__("base64").b64decode(body(r)["totp_secret_base64"])),
     _ok(), None),
    ("account", "patch_totp_disable", lambda c, r: api.set_totp_secret(c, ACCESS, None), _ok(), None),
    ("account", "patch_selected_team", lambda c, r: api.select_team(c, ACCESS, body(r)["selected_team_id"]),
     _ok(), None),
    ("account", "patch_selected_team_null", lambda c, r: api.select_team(c, ACCESS, None), _ok(), None),
    ("account", "err_patch_selected_team_not_member",
     lambda c, r: api.select_team(c, ACCESS, body(r)["selected_team_id"]), TeamMembershipNotFound, None),
    # --- teams ---
    ("teams", "leave_team", lambda c, r: api.leave_team(c, ACCESS, path_part(r, 4)), _ok(), None),
    ("teams", "err_leave_team_again", lambda c, r: api.leave_team(c, ACCESS, path_part(r, 4)),
     TeamMembershipNotFound, None),
    ("teams", "err_member_removes_creator",
     lambda c, r: api.remove_team_member(c, ACCESS, path_part(r, 4), path_part(r, 5)), TeamPermissionRequired, None),
    ("teams", "err_create_team_disabled", lambda c, r: api.create_team(c, ACCESS, body(r)["display_name"]),
     FeatureNotEnabled, None),
    # --- team invitations ---
    ("teams", "send",
     lambda c, r: api.send_invitation(c, ACCESS, body(r)["team_id"], body(r)["email"], body(r)["callback_url"]),
     "id", None),
    ("teams", "err_send_creator_without_invite_permission",
     lambda c, r: api.send_invitation(c, ACCESS, body(r)["team_id"], body(r)["email"], body(r)["callback_url"]),
     TeamPermissionRequired, None),
    # v2.7 items have no team_display_name; v2.8's do.
    ("teams", "list", lambda c, r: api.list_invitations(c, ACCESS, query(r, "team_id")),
     lambda got: len(got) >= 1 and all(i.id and i.recipient_email and i.expires_at_millis
                                       and i.team_display_name is None for i in got),
     lambda got: len(got) >= 1 and all(i.team_display_name == "Rec Team" for i in got)),
    ("teams", "err_list_member_without_permission",
     lambda c, r: api.list_invitations(c, ACCESS, query(r, "team_id")), TeamPermissionRequired, None),
    ("teams", "details", lambda c, r: api.invitation_details(c, ACCESS, body(r)["code"]),
     lambda got: got.team_display_name == "Rec Team" and len(got.team_id) == 36, None),
    ("teams", "err_details_after_use", lambda c, r: api.invitation_details(c, ACCESS, body(r)["code"]),
     VerificationCodeAlreadyUsed, None),
    ("teams", "check_code_no_session", lambda c, r: api.check_invitation_code(c, body(r)["code"]), _ok(), None),
    ("teams", "err_check_code_unknown", lambda c, r: api.check_invitation_code(c, body(r)["code"]),
     VerificationCodeNotFound, None),
    ("teams", "accept", lambda c, r: api.accept_invitation(c, ACCESS, body(r)["code"]), _ok(), None),
    ("teams", "err_accept_reuse", lambda c, r: api.accept_invitation(c, ACCESS, body(r)["code"]),
     VerificationCodeAlreadyUsed, None),
    ("teams", "err_accept_expired", lambda c, r: api.accept_invitation(c, ACCESS, body(r)["code"]),
     VerificationCodeExpired, None),
]


#: Steps recorded with a session for a call that needs none (``check_invitation_code`` takes no token; the
#: recorded ``check_code_no_session`` shows Stack does not need one).
RECORDED_WITH_NEEDLESS_TOKEN = {("teams", "err_check_code_unknown")}


def _params() -> list[Any]:
    out = []
    for name, key, call, v27, v28 in CASES:
        for version, expect in (("v2.7.16", v27), ("v2.8.86", v28 if v28 is not None else v27)):
            out.append(pytest.param(name, key, call, version, expect, id=f"{version}-{name}-{key}"))
    return out


@pytest.mark.parametrize(("name", "key", "call", "version", "expect"), _params())
def test_request_and_answer_match_the_recording(recorded_stack: RecordedStack, name: str, key: str, call: Call,
                                                version: str, expect: Expect) -> None:
    rec = step(version, name, key)
    client = recorded_stack.client()
    recorded_stack.answer(rec)
    if isinstance(expect, type) and issubclass(expect, Exception):
        with pytest.raises(expect):
            call(client, rec)
    else:
        result = call(client, rec)
        if expect == "channel":
            assert _channel(rec)(result), result
        elif expect == "id":
            assert result == rec["body"]["id"]
        else:
            assert expect(result), result
    assert len(recorded_stack.received) == 1
    needless = frozenset({"x-stack-access-token"}) if (name, key) in RECORDED_WITH_NEEDLESS_TOKEN else frozenset()
    assert_same_request(recorded_stack.received[0], rec, where=f"{version} {name}/{key}", not_required=needless)


@pytest.mark.parametrize("version", VERSIONS)
def test_create_team_then_selects_it_as_the_sdk_does(recorded_stack: RecordedStack, version: str) -> None:
    created, selected = step(version, "teams", "create_team"), step(version, "teams", "sdk_select_created_team")
    recorded_stack.answer(created, selected)
    team = api.create_team(recorded_stack.client(), ACCESS, created["request"]["body"]["display_name"])
    assert isinstance(team, Team) and team.id == created["body"]["id"] and team.display_name == "Rec Team"
    assert team.created_at_millis is None and team.server_metadata is None  # a client read has neither
    assert_same_request(recorded_stack.received[0], created)
    assert_same_request(recorded_stack.received[1], selected)


def test_accepting_into_a_full_internal_team_is_a_typed_error(recorded_stack: RecordedStack) -> None:
    rec = step("v2.8.86", "teams", "err_accept_internal_project_seat_limit")
    recorded_stack.answer(rec)
    with pytest.raises(ItemQuantityInsufficientAmount):
        api.accept_invitation(recorded_stack.client(), ACCESS, rec["request"]["body"]["code"])
    assert_same_request(recorded_stack.received[0], rec)


def test_invitation_details_without_a_session_is_user_authentication_required(recorded_stack: RecordedStack) -> None:
    # Recorded without a token; our function always sends the caller's, so only the answer is checked here.
    rec = step("v2.8.86", "teams", "err_details_no_session")
    recorded_stack.answer(rec)
    with pytest.raises(UserAuthenticationRequired):
        api.invitation_details(recorded_stack.client(), ACCESS, rec["request"]["body"]["code"])


@pytest.mark.parametrize("version", VERSIONS)
def _listed_with(version: str, team_id: str, invitation_id: str | None) -> dict[str, Any]:
    """The recorded invitation list of ``version``, for ``team_id``, with ``invitation_id`` pending (if given)."""
    listed = copy.deepcopy(step(version, "teams", "list"))
    items = listed["body"]["items"]
    for item in items:
        item["team_id"] = team_id
    if invitation_id is not None:
        items.append({**items[0], "id": invitation_id})
    return listed


@pytest.mark.parametrize("version", VERSIONS)
def test_revoke_checks_the_pending_list_then_sends_the_recorded_delete(recorded_stack: RecordedStack,
                                                                       version: str) -> None:
    revoke = step(version, "teams", "revoke")
    team_id, invitation_id = query(revoke, "team_id"), path_part(revoke, 4)
    recorded_stack.answer(_listed_with(version, team_id, invitation_id), revoke)
    api.revoke_invitation(recorded_stack.client(), ACCESS, team_id, invitation_id)
    listing, delete = recorded_stack.received
    assert listing.method == "GET" and listing.path == "/api/v1/team-invitations"
    assert listing.query.get("team_id") == team_id
    assert_same_request(delete, revoke)


@pytest.mark.parametrize("version", VERSIONS)
def test_revoking_an_invitation_twice_is_not_found_and_sends_no_delete(recorded_stack: RecordedStack,
                                                                     version: str) -> None:
    # Both servers answer 500 (a server bug) to a second revocation: the pending list is asked first instead.
    again = step(version, "teams", "err_revoke_again")
    team_id, invitation_id = query(again, "team_id"), path_part(again, 4)
    assert again["status"] == 500
    recorded_stack.answer(_listed_with(version, team_id, None))
    with pytest.raises(TeamInvitationNotFound):
        api.revoke_invitation(recorded_stack.client(), ACCESS, team_id, invitation_id)
    assert [r.method for r in recorded_stack.received] == ["GET"]


def test_a_500_while_the_invitation_is_still_pending_stays_an_outage(recorded_stack: RecordedStack) -> None:
    again = step("v2.8.86", "teams", "err_revoke_again")
    team_id, invitation_id = query(again, "team_id"), path_part(again, 4)
    recorded_stack.answer(_listed_with("v2.8.86", team_id, invitation_id), again)
    with pytest.raises(StackAuthUnavailable):
        api.revoke_invitation(recorded_stack.client(), ACCESS, team_id, invitation_id)
