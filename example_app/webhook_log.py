"""The webhook log page: the last events Stack Auth (or the emulator) delivered to ``/auth/webhooks``."""

from __future__ import annotations

from collections import deque
from typing import Any

from flask import Flask, render_template

from flask_stackauth import StackAuth, WebhookEvent, login_required

#: The last events received (newest first); a real app would write them to its database.
WEBHOOK_LOG: deque[dict[str, Any]] = deque(maxlen=100)


def _remember(event: WebhookEvent[Any]) -> None:
    # Svix delivers at least once and Stack sends some events out of order: a log tolerates both.
    WEBHOOK_LOG.appendleft({"id": event.id, "type": event.type, "user_id": event.user_id,
                            "subject": getattr(event.data, "id", None) or event.raw.get("id")})


def register_webhook_log(app: Flask, stack: StackAuth) -> None:
    """Log every event through ``stack`` (once per instance) and add the ``/webhooks`` page to ``app``."""
    if _remember not in stack.webhooks.handlers("*"):
        stack.on("*")(_remember)

    @app.get("/webhooks")
    @login_required
    def webhook_log() -> str:
        return render_template("webhooks.html", events=list(WEBHOOK_LOG),
                               receiving=bool(StackAuth.settings(app).webhook_secret))
