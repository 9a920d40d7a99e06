"""The red-team suite's app: the library's test app with ``STACK_APP_URL`` set and team creation on."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_stackauth.emulator.account_settings import configure_project
from tests.conftest import make_app
from tests.teams_mfa.support import APP_URL


@pytest.fixture
def app(stackauth_config: dict[str, Any], stackauth_emulator: Any) -> Flask:
    stackauth_emulator.emulator.project.trusted_domains = [APP_URL]
    configure_project(stackauth_emulator.emulator, client_team_creation_enabled=True)
    return make_app(stackauth_config, STACK_APP_URL=APP_URL)
