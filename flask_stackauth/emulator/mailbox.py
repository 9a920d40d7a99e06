"""The emails the emulator "sent", as the ``/_emulator/emails`` control and the console show them.

A sign-in email carries two codes: the 45-character code inside its link and the 6-character code the
user types. Stored mails call the first ``link_code``; a mail recorded by a module that still says
``code`` is shown with ``link_code`` too, so readers never have to guess which code a key holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Emulator


def mail_view(mail: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``mail`` with the link's code under ``link_code`` (never under the ambiguous ``code``)."""
    out = dict(mail)
    if "code" in out:
        legacy = out.pop("code")
        out.setdefault("link_code", legacy)
    return out


def outbox(emu: Emulator) -> list[dict[str, Any]]:
    """Every email sent so far, oldest first, as :func:`mail_view` shows it."""
    with emu.lock:
        return [mail_view(m) for m in emu.data.emails]
