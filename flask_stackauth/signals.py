"""Blinker signals, sent with the app as sender, as Flask's own signals are.

Connect with ``user_signed_in.connect(receiver, app)``; receivers get keyword arguments:

- :data:`user_signed_in`: ``user`` (a :class:`~flask_stackauth.user.StackUser`), ``is_new_user``, ``method``.
- :data:`user_signed_out`: ``user_id`` (or ``None``), ``revoked`` (whether Stack Auth confirmed).
- :data:`token_refreshed`: ``user_id``.
- :data:`refresh_failed`: ``user_id``, ``error`` (the exception).
- :data:`webhook_received`: ``event`` (a :class:`~flask_stackauth.webhook_events.WebhookEvent`).
- :data:`sign_out_incomplete`: ``user_id``, ``error`` (why Stack Auth could not end the session).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent after a successful sign-in, once the tokens are in the session.
user_signed_in = _signals.signal("stackauth-user-signed-in")
#: Sent after sign-out cleared the tokens.
user_signed_out = _signals.signal("stackauth-user-signed-out")
#: Sent after an access token was refreshed and stored.
token_refreshed = _signals.signal("stackauth-token-refreshed")
#: Sent when a refresh token was rejected and the user was signed out.
refresh_failed = _signals.signal("stackauth-refresh-failed")
#: Sent once per verified, not yet handled webhook event, after the ``@stack.on`` handlers ran.
webhook_received = _signals.signal("stackauth-webhook-received")
#: Sent when sign-out cleared the app's session but Stack Auth could not end the session (tried twice): its
#: refresh token stays valid at Stack Auth until it expires. Sent after :data:`user_signed_out`.
sign_out_incomplete = _signals.signal("stackauth-sign-out-incomplete")
