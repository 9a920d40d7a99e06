"""``python -m example_app``: the example app against the bundled Stack Auth emulator (no account needed).

Set ``STACK_PROJECT_ID`` (and keys, ``STACK_API_URL``) in the environment to use a real Stack Auth project
instead; then no emulator is started.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from typing import Any

from flask import Flask

from flask_stackauth import StackAuth, StackUser, user_signed_in
from flask_stackauth.emulator import EmulatorServer, run_emulator
from flask_stackauth.emulator.console import ConsoleApp, register_app
from flask_stackauth.emulator.teams import define_permission
from flask_stackauth.testing import emulator_config

from . import create_app, stack

DEMO_ADMIN = "admin@example.com"


class RedactCodes(logging.Filter):
    """Hide one-time codes in the dev server's access log (``GET /auth/callback?code=... HTTP/1.1``).

    Emailed links and OAuth redirects carry codes in their query; an access log is no place for them.
    """

    _CODE = re.compile(r"([?&](?:code|state)=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._CODE.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = self._CODE.sub(r"\1[redacted]", record.msg)
        return True


def _allow_user_api_keys(emu: Any) -> None:
    # For the API keys page and /api/key/notes.
    emu.project.allow_user_api_keys = True


def _demo_admin(app: Flask, emulator: EmulatorServer) -> None:
    """Emulator mode only: define the ``admin`` project permission and grant it to ``DEMO_ADMIN`` at sign-in."""
    define_permission(emulator.emulator, "admin")
    # The console's "Reset" drops every definition; without this one, signing in as DEMO_ADMIN would fail.
    emulator.emulator.reset_hooks.append(lambda emu: define_permission(emu, "admin"))
    _allow_user_api_keys(emulator.emulator)
    emulator.emulator.reset_hooks.append(_allow_user_api_keys)

    def grant(sender: Flask, user: StackUser, **_: Any) -> None:
        if user.primary_email == DEMO_ADMIN:
            stack.server.permissions.grant(user.id, "admin")

    user_signed_in.connect(grant, app, weak=False)


def _webhook_config(emulator: EmulatorServer, app_url: str) -> dict[str, str]:
    """Emulator mode: the emulator delivers its webhooks to this app (when the ``webhooks`` extra is there)."""
    try:
        import standardwebhooks  # noqa: F401
    except ImportError:
        return {}
    # static: kept when the console resets the emulator.
    endpoint = emulator.emulator.webhooks.add_endpoint(f"{app_url}/auth/webhooks", static=True)
    return {"STACK_WEBHOOK_SECRET": endpoint.secret}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--emulator-port", type=int, default=8102)
    args = parser.parse_args()
    logging.getLogger("werkzeug").addFilter(RedactCodes())

    app_url = f"http://{args.host}:{args.port}"
    if os.environ.get("STACK_PROJECT_ID"):
        app = create_app()
        # The extension's settings, not app.config: keys and URLs may come from the environment.
        settings = StackAuth.settings(app)
        print(f"Example app on {app_url}/ against {settings.api_url} (project {settings.project_id})")
        app.run(host=args.host, port=args.port)
        return
    with run_emulator(port=args.emulator_port) as emulator:
        # Links Stack mails (sign-in codes, resets, invitations) point here, whatever Host a request names.
        app = create_app({**emulator_config(emulator), "STACK_APP_URL": app_url, **_webhook_config(emulator, app_url)})
        _demo_admin(app, emulator)
        # The console's "sign in as" goes through this app's own sign-in page.
        sign_in = f"{app_url}{StackAuth.settings(app).url_prefix}/login?next=/dashboard"
        register_app(emulator.emulator, ConsoleApp("Example app", sign_in, api_url=f"{app_url}/api/notes"))
        print(f"Stack Auth emulator: {emulator.url} (project {emulator.project_id})")
        print(f"Emulator console:    {emulator.url}/_emulator/  <- users, sessions, inbox, clock, faults")
        print(f"Webhook log:         {app_url}/webhooks  <- events the emulator delivered")
        print(f"Admin page:          sign in as {DEMO_ADMIN} to hold the 'admin' permission")
        print(f"Example app:         {app_url}/  <- open this; sign in with any email")
        app.run(host=args.host, port=args.port, use_reloader=False)


if __name__ == "__main__":
    main()
