"""Fixtures: the app under test behind a misbehaving proxy in front of the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.security.proxy import MisbehavingProxy


@pytest.fixture
def proxy(stackauth_emulator: Any) -> Iterator[MisbehavingProxy]:
    """A proxy that forwards to the emulator unless a rule says otherwise."""
    running = MisbehavingProxy(stackauth_emulator.url).start()
    yield running
    running.stop()


@pytest.fixture
def proxied_config(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                   proxy: MisbehavingProxy) -> dict[str, Any]:
    """``STACK_*`` settings that reach the emulator through :func:`proxy`."""
    emu = stackauth_emulator.emulator
    issuers = [emu.issuer_for(stackauth_emulator.project_id, kind, stackauth_emulator.url)
               for kind in ("normal", "anonymous", "restricted")]
    # The tokens name the emulator's own URL as issuer; the app talks to the proxy.
    return {**stackauth_config, "STACK_API_URL": proxy.url, "STACK_JWT_ISSUERS": issuers,
            "STACK_JWKS_REFETCH_COOLDOWN": 0}
