"""``flask stackauth check`` against the emulator: what it reports, and one line per problem, never a traceback."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from click.testing import Result

from flask_stackauth.emulator import EmulatorServer
from tests.conftest import make_app

KEYS = ("STACK_PUBLISHABLE_CLIENT_KEY", "STACK_SECRET_SERVER_KEY")


def run_check(config: dict[str, Any], *args: str, **extra: Any) -> Result:
    """Run ``flask stackauth check`` for a fresh app and check what every run must hold."""
    app = make_app(config, **extra)
    result = app.test_cli_runner().invoke(args=["stackauth", "check", *args])
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "Traceback" not in text
    for name in KEYS:
        value = app.config.get(name)
        if value:
            assert value not in text, f"{name} was printed"
    if result.exit_code != 0:
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("error ")
    return result


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_check_passes_and_prints_the_callback_url(stackauth_config: dict[str, Any]) -> None:
    result = run_check(stackauth_config)
    assert result.exit_code == 0, result.output
    assert "ok    project 'internal'" in result.output
    assert "secret server key accepted" in result.output
    assert "JWKS: 2 ES256 key(s)" in result.output
    assert "callback URL: http://localhost:5000/auth/callback (assumed localhost:5000" in result.output
    assert "Allow all localhost callbacks" in result.output
    assert result.output.rstrip().endswith("Stack Auth setup looks right.")


def test_check_uses_the_url_prefix_and_server_name(stackauth_config: dict[str, Any]) -> None:
    result = run_check(stackauth_config, STACK_URL_PREFIX="/account", SERVER_NAME="127.0.0.1:8000")
    assert result.exit_code == 0, result.output
    assert "callback URL: http://127.0.0.1:8000/account/callback (computed)" in result.output


def test_server_name_decides_the_host_of_the_callback_url(stackauth_config: dict[str, Any],
                                                          stackauth_emulator: EmulatorServer) -> None:
    stackauth_emulator.emulator.project.trusted_domains.append("https://app.example.com")
    result = run_check(stackauth_config, "--host", "https://elsewhere.example.com", SERVER_NAME="app.example.com")
    assert result.exit_code == 0, result.output
    assert "warn  SERVER_NAME=app.example.com decides the callback URL's host; --host gave its scheme only" \
        in result.output
    assert "callback URL: https://app.example.com/auth/callback (computed)" in result.output


def test_a_host_outside_the_trusted_domains_fails_with_the_domain_to_add(
        stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer) -> None:
    result = run_check(stackauth_config, "--host", "https://app.example.com")
    assert result.exit_code == 1
    assert "https://app.example.com/auth/callback is not in the project's trusted domains (none)" in result.stderr
    assert "add https://app.example.com under Domains" in result.stderr

    stackauth_emulator.emulator.project.trusted_domains.append("https://app.example.com")
    result = run_check(stackauth_config, "--host", "https://app.example.com")
    assert result.exit_code == 0, result.output
    assert "callback URL: https://app.example.com/auth/callback (computed); its host is one of the project's " \
           "trusted domains" in result.output


def test_trusted_domains_match_scheme_and_wildcards(stackauth_config: dict[str, Any],
                                                    stackauth_emulator: EmulatorServer) -> None:
    stackauth_emulator.emulator.project.trusted_domains.append("https://*.example.com")
    assert run_check(stackauth_config, "--host", "eu.example.com", PREFERRED_URL_SCHEME="https").exit_code == 0
    # Stack Auth matches the scheme too: the http URL of a trusted https domain is refused.
    result = run_check(stackauth_config, "--host", "http://eu.example.com")
    assert result.exit_code == 1
    assert "(https://*.example.com)" in result.stderr


def test_a_plain_http_trusted_domain_passes_with_a_warning(stackauth_config: dict[str, Any],
                                                            stackauth_emulator: EmulatorServer) -> None:
    stackauth_emulator.emulator.project.trusted_domains.append("http://intranet.example")
    result = run_check(stackauth_config, "--host", "intranet.example")
    assert result.exit_code == 0, result.output
    assert "warn  the callback URL is plain http" in result.output


def test_redirect_uri_setting_is_the_callback_url(stackauth_config: dict[str, Any],
                                                  stackauth_emulator: EmulatorServer) -> None:
    stackauth_emulator.emulator.project.trusted_domains.append("https://app.example.com")
    result = run_check(stackauth_config, STACK_REDIRECT_URI="https://app.example.com/auth/callback")
    assert result.exit_code == 0, result.output
    assert "callback URL: https://app.example.com/auth/callback (STACK_REDIRECT_URI)" in result.output
    assert "warn" not in result.output

    result = run_check(stackauth_config, STACK_REDIRECT_URI="https://app.example.com/elsewhere")
    assert result.exit_code == 0, result.output
    assert "warn  STACK_REDIRECT_URI's path '/elsewhere' is not this app's callback route '/auth/callback'" \
        in result.output


def test_missing_secret_server_key_is_a_warning(stackauth_config: dict[str, Any]) -> None:
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_SECRET_SERVER_KEY"}
    result = run_check(config)
    assert result.exit_code == 0, result.output
    assert "warn  STACK_SECRET_SERVER_KEY is not set" in result.output


def test_unreachable_url(stackauth_config: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    result = run_check(stackauth_config, STACK_API_URL=url)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error Could not reach Stack Auth at {url}: ConnectionError. "
                                     "Check STACK_API_URL and that the server is up.")


def test_a_url_that_is_not_stack_auth(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer) -> None:
    result = run_check(stackauth_config, STACK_API_URL=stackauth_emulator.url + "/not-the-api")
    assert result.exit_code == 1
    assert "answered HTTP 404 to GET /api/v1/projects/current: is STACK_API_URL the base URL" in result.stderr

    stackauth_emulator.emulator.fail_next(1, path="/api/v1/projects/current", mode="garbage")
    result = run_check(stackauth_config)
    assert result.exit_code == 1
    assert "not Stack Auth's JSON: STACK_API_URL must be the API's base URL" in result.stderr


def test_a_failing_server(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer) -> None:
    stackauth_emulator.emulator.fail_next(1, path="/api/v1/projects/current", mode="503")
    result = run_check(stackauth_config)
    assert result.exit_code == 1
    assert "error Stack Auth answered HTTP 503. Check STACK_API_URL" in result.stderr


def test_wrong_project_id(stackauth_config: dict[str, Any]) -> None:
    result = run_check(stackauth_config, STACK_PROJECT_ID="no-such-project")
    assert result.exit_code == 1
    assert "STACK_PROJECT_ID 'no-such-project' is not a project on" in result.stderr
    assert "(CURRENT_PROJECT_NOT_FOUND): copy the Project ID from the Project Keys page" in result.stderr


def test_wrong_publishable_key(stackauth_config: dict[str, Any]) -> None:
    result = run_check(stackauth_config, STACK_PUBLISHABLE_CLIENT_KEY="pck_wrong_key_0123456789")
    assert result.exit_code == 1
    assert "STACK_PUBLISHABLE_CLIENT_KEY is not a publishable client key of project 'internal' " \
           "(INVALID_PUBLISHABLE_CLIENT_KEY)" in result.stderr


def test_missing_publishable_key_where_the_project_requires_one(stackauth_config: dict[str, Any],
                                                                 stackauth_emulator: EmulatorServer) -> None:
    stackauth_emulator.emulator.project.require_publishable_client_key = True
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_PUBLISHABLE_CLIENT_KEY"}
    result = run_check(config)
    assert result.exit_code == 1
    assert "project 'internal' requires a publishable client key" in result.stderr
    assert "set STACK_PUBLISHABLE_CLIENT_KEY" in result.stderr


def test_wrong_secret_server_key(stackauth_config: dict[str, Any]) -> None:
    result = run_check(stackauth_config, STACK_SECRET_SERVER_KEY="ssk_wrong_key_0123456789")
    assert result.exit_code == 1
    assert "STACK_SECRET_SERVER_KEY is not a secret server key of project 'internal' (INVALID_SECRET_SERVER_KEY)" \
        in result.stderr


def test_a_missing_jwks(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer) -> None:
    path = "/api/v1/projects/internal/.well-known/jwks.json"
    stackauth_emulator.emulator.fail_next(1, path=path, mode="500")
    result = run_check(stackauth_config)
    assert result.exit_code == 1
    assert result.stderr.startswith("error Stack Auth answered HTTP 500.")


@pytest.mark.parametrize("host", ["ftp://app.example.com", "https://"])
def test_a_malformed_host_option(stackauth_config: dict[str, Any], host: str) -> None:
    result = run_check(stackauth_config, "--host", host)
    assert result.exit_code == 1
    assert "--host must be a host name such as app.example.com" in result.stderr
