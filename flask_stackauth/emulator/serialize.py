"""JSON shapes of users, teams and sessions, key order as the real server answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .state import Session, Team, User

if TYPE_CHECKING:
    from .core import Emulator


def millis(ts: float) -> int:
    """Seconds to integer milliseconds."""
    return int(ts * 1000)


def team_json(team: Team, *, server: bool = False) -> dict[str, Any]:
    """A team as ``selected_team`` shows it (client fields, plus server ones)."""
    out: dict[str, Any] = {
        "client_read_only_metadata": team.client_read_only_metadata,
        "client_metadata": team.client_metadata,
        "profile_image_url": team.profile_image_url,
        "display_name": team.display_name,
        "id": team.id,
    }
    if server:
        out["server_metadata"] = team.server_metadata
        out["created_at_millis"] = millis(team.created_at)
    return out


def user_json(emu: Emulator, user: User, *, server: bool = False) -> dict[str, Any]:
    """A user as ``/users/me`` (client) or the server-key endpoints show it."""
    with emu.lock:
        team = emu.data.teams.get(user.selected_team_id) if user.selected_team_id else None
    legacy = emu.legacy_tokens
    out: dict[str, Any] = {}
    if not legacy:
        out.update(
            {
                "restricted_by_admin_reason": user.restricted_by_admin_reason,
                "restricted_by_admin": user.restricted_by_admin,
                "restricted_reason": user.restricted_reason,
                "is_restricted": user.is_restricted,
                "is_anonymous": user.is_anonymous,
            }
        )
    out.update(
        {
            "passkey_auth_enabled": user.passkey_auth_enabled,
            "otp_auth_enabled": user.otp_auth_enabled,
            "requires_totp_mfa": user.requires_totp_mfa,
            "selected_team_id": team.id if team else None,
            "oauth_providers": [dict(p) for p in user.oauth_providers],
            "auth_with_email": user.primary_email_auth_enabled,
            "has_password": user.password_hash is not None,
            "signed_up_at_millis": millis(user.signed_up_at),
            "profile_image_url": user.profile_image_url,
            "client_read_only_metadata": user.client_read_only_metadata,
            "client_metadata": user.client_metadata,
            "display_name": user.display_name,
            "primary_email_verified": user.primary_email_verified,
            "primary_email": user.primary_email,
            "id": user.id,
            "selected_team": team_json(team, server=server) if team else None,
        }
    )
    if server:
        out["primary_email_auth_enabled"] = user.primary_email_auth_enabled
        out["server_metadata"] = user.server_metadata
        out["last_active_at_millis"] = millis(user.last_active_at)
        if not legacy:
            out["restricted_by_admin_private_details"] = user.restricted_by_admin_private_details
            out["country_code"] = user.country_code
            out["risk_scores"] = {"sign_up": {"bot": 0, "free_trial_abuse": 0}}
    return out


def session_json(sess: Session, *, current_session_id: str | None) -> dict[str, Any]:
    """A session list item."""
    # Key order of v2.8.86's answer; it leaves out ``last_used_at_end_user_ip_info`` when it knows no IP.
    return {
        "is_current_session": sess.id == current_session_id,
        "last_used_at": millis(sess.last_used_at),
        "is_impersonation": sess.is_impersonation,
        "created_at": millis(sess.created_at),
        "user_id": sess.user_id,
        "id": sess.id,
    }
