"""The sign-in page: the project's OAuth providers and forms for its other enabled methods.
"""

from __future__ import annotations

import logging

from flask import request
from werkzeug.wrappers import Response

from ..errors import StackAuthError
from ..state import get_state
from .forms import Form, page

log = logging.getLogger("flask_stackauth")

PROVIDER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "linkedin": "LinkedIn", "x": "X", "bitbucket": "Bitbucket",
                  "google": "Google", "microsoft": "Microsoft", "spotify": "Spotify", "facebook": "Facebook",
                  "discord": "Discord", "apple": "Apple", "twitch": "Twitch"}

#: Notices the sign-in page shows for ``?notice=`` (a fixed set: nothing from the URL is echoed).
NOTICES = {
    "password-reset": "Your password was changed and every device was signed out. Sign in with the new password.",
}


def login_page(next_url: str | None, *, password: Form | None = None, otp: Form | None = None,
               status: int = 200) -> Response:
    """The sign-in page: the project's OAuth providers and forms for its other enabled methods."""
    state = get_state()
    try:
        config = state.project_config()
        providers = state.enabled_providers()
        unavailable = False
    except StackAuthError as exc:
        log.warning("flask-stackauth: could not load the project's sign-in methods: %s", exc.code)
        config, providers, unavailable = {}, [], True
    methods = {
        "password": bool(config.get("credential_enabled")),
        "otp": bool(config.get("magic_link_enabled")),
        "sign_up": bool(config.get("sign_up_enabled")) and bool(config.get("credential_enabled")),
    }
    return page("stackauth/login.html", 503 if unavailable else status, providers=providers, methods=methods,
                 provider_names=PROVIDER_NAMES, next_url=next_url, unavailable=unavailable,
                 password_form=password or Form(),
                 otp_form=otp or Form(), notice=NOTICES.get(request.args.get("notice", "")))
