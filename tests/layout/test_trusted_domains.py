"""The CLI's own reading of Stack's redirect-URL rule, checked against the emulator and real servers' answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from flask_stackauth.trusted_domains import is_localhost, is_trusted, project_domains

WIRE = Path(__file__).resolve().parents[3] / "shared" / "stackauth-wire"
if not WIRE.is_dir():
    WIRE = Path("/work/shared/stackauth-wire")

PATTERNS = ["https://app.example.com", "https://*.example.org", "https://**.deep.example",
            "http://intranet.example:8080", "https://ported.example:8443", "https://*.wild:9000"]
URLS = [
    "https://app.example.com/cb", "https://app.example.com:443/cb", "https://app.example.com:444/cb",
    "http://app.example.com/cb", "https://APP.example.com/cb", "https://sub.app.example.com/cb",
    "https://a.example.org/x", "https://a.b.example.org/x", "https://example.org/x",
    "https://x.y.deep.example/", "https://z.deep.example/", "http://intranet.example:8080/cb",
    "http://intranet.example/cb", "https://ported.example:8443/", "https://ported.example/",
    "https://one.wild:9000/", "https://one.wild/", "https://evil.com/?u=https://app.example.com",
    "https://app.example.com.evil.com/", "http://localhost:5000/auth/callback", "http://127.0.0.1:5000/cb",
]


def _emulator_accepts(server: Any, url: str) -> bool:
    """Ask the emulator itself: an emailed sign-in link to ``url`` is sent, or REDIRECT_URL_NOT_WHITELISTED."""
    answer = requests.post(f"{server.url}/api/v1/auth/otp/send-sign-in-code", timeout=10,
                           json={"email": "probe@example.com", "callback_url": url},
                           headers={"x-stack-access-type": "client", "x-stack-project-id": server.project_id,
                                    "x-stack-publishable-client-key": server.publishable_key})
    if answer.headers.get("x-stack-known-error") == "REDIRECT_URL_NOT_WHITELISTED":
        return False
    assert answer.status_code == 200, answer.text
    return True


@pytest.mark.parametrize("allow_localhost", [False, True])
def test_the_rule_agrees_with_the_emulators_answers(stackauth_emulator: Any, allow_localhost: bool) -> None:
    project = stackauth_emulator.emulator.project
    project.trusted_domains[:] = PATTERNS
    project.allow_localhost = allow_localhost
    ours = {url: is_trusted(url, PATTERNS, allow_localhost=allow_localhost) for url in URLS}
    theirs = {url: _emulator_accepts(stackauth_emulator, url) for url in URLS}
    assert ours == theirs
    assert any(ours.values()) and not all(ours.values())  # the table exercises both verdicts


def _recordings() -> list[Path]:
    if not WIRE.is_dir():
        pytest.skip("the recordings of real servers (../shared/stackauth-wire) are not here")
    return sorted(p for p in WIRE.iterdir() if p.is_dir())


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_rule_agrees_with_real_servers_refusals_and_acceptances() -> None:
    checked = 0
    for version in _recordings():
        project = json.loads((version / "account-result.json").read_text())["projects_current"]["body"]
        domains = project_domains(project)
        refused, accepted = [], []
        for path in version.glob("*-result.json"):
            for node in _walk(json.loads(path.read_text())):
                request = node.get("request")
                body = request.get("body") if isinstance(request, dict) else None
                url = body.get("callback_url") if isinstance(body, dict) else None
                if isinstance(url, str) and isinstance(node.get("headers"), dict):
                    if node["headers"].get("x-stack-known-error") == "REDIRECT_URL_NOT_WHITELISTED":
                        refused.append(url)
                location = node.get("headers", {}).get("location") if isinstance(node.get("headers"), dict) else None
                if isinstance(location, str) and "/auth/callback?code=" in location:
                    accepted.append(location)  # the real server sent the code to this callback URL
        assert refused and accepted, version.name
        for url in refused:
            # New projects allow localhost callbacks; a foreign host is refused whatever that setting.
            assert not is_trusted(url, domains, allow_localhost=True), (version.name, url)
        for url in accepted:
            assert is_localhost(url) and is_trusted(url, domains, allow_localhost=True), (version.name, url)
            assert not is_trusted(url, domains), (version.name, url)  # only the localhost setting let it through
        checked += len(refused) + len(accepted)
    assert checked >= 8


def test_domains_are_read_from_the_client_project_config() -> None:
    project = {"config": {"domains": [{"domain": "https://a.example", "handler_path": "/h"}, {"domain": 3}, "x"]}}
    assert project_domains(project) == ["https://a.example"]
    assert project_domains({"config": {"domains": None}}) == [] and project_domains({}) == []
    assert not is_trusted("not a url", ["https://a.example"]) and not is_trusted("https://a.example:99999/", ["**"])
