"""The ``stackauth`` blueprint: one module per flow, put together by :func:`make_blueprint`.

- :mod:`~flask_stackauth.views.oauth`: ``GET /login[/<provider>]`` and the OAuth ``GET /callback``.
- :mod:`~flask_stackauth.views.password`: ``POST /password`` and ``GET|POST /signup``.
- :mod:`~flask_stackauth.views.otp`: email codes (``/otp/send``, ``/otp/code``, ``/otp/callback``).
- :mod:`~flask_stackauth.views.mfa`: the TOTP step (``/mfa``).
- :mod:`~flask_stackauth.views.logout`: ``GET|POST /logout``.
- :mod:`~flask_stackauth.views.recovery`: ``/forgot-password`` and ``/password-reset`` (forgotten passwords).
- :mod:`~flask_stackauth.views.verify_email`: ``/verify-email`` (the emailed link) and ``/verify-email/send``.
- :mod:`~flask_stackauth.views.account`, :mod:`~flask_stackauth.views.account_emails`,
  :mod:`~flask_stackauth.views.account_sessions`: the account settings under ``/account`` (sections listed in
  :mod:`~flask_stackauth.views.account_nav`) and ``POST /logout/everywhere``.
- :mod:`~flask_stackauth.views.two_factor`: TOTP enrolment (``/account/two-factor``).
- :mod:`~flask_stackauth.views.connections`: connected sign-in providers (``/account/connections``).
- :mod:`~flask_stackauth.views.teams`: teams, the switcher, a team's members and invitations (``/teams``).
- :mod:`~flask_stackauth.views.team_invitation`: accepting an invitation (``/team-invitation``).

Every form carries the signed form token of :func:`~flask_stackauth.views.forms.form_token`; every bad input
answers the page again with a message next to the field and a 4xx status. Messages never say whether an account
exists (except sign-up, whose answer cannot hide it), and nothing is logged but Stack's error codes.
"""

from __future__ import annotations

from flask import Blueprint

from . import (
    account,
    account_emails,
    account_sessions,
    api_keys_page,
    connections,
    logout,
    mfa,
    oauth,
    otp,
    password,
    recovery,
    team_invitation,
    teams,
    two_factor,
    verify_email,
)


def make_blueprint() -> Blueprint:
    """A new ``stackauth`` blueprint with every prebuilt route (its templates under ``stackauth/``)."""
    bp = Blueprint("stackauth", "flask_stackauth", template_folder="templates")
    for flow in (oauth, password, otp, mfa, logout, recovery, verify_email, account, account_emails,
                 account_sessions, two_factor, connections, teams, team_invitation, api_keys_page):
        flow.register(bp)
    return bp
