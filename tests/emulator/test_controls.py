"""Test controls: faults, call counting, reset, clock, HTTP control routes."""

from __future__ import annotations

import pytest
import requests
from emu_support import client_headers, password_user

from flask_stackauth.emulator import Emulator, EmulatorServer


def _project(server: EmulatorServer) -> requests.Response:
    return requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server), timeout=5)


def test_fault_modes(server: EmulatorServer, emu: Emulator) -> None:
    emu.fail_next(1)
    first = _project(server)
    assert first.status_code == 500 and first.headers["content-type"].startswith("text/plain")
    assert _project(server).status_code == 200
    emu.fail_next(2, mode="503")
    assert [_project(server).status_code for _ in range(3)] == [503, 503, 200]
    emu.fail_next(1, mode="garbage")
    garbage = _project(server)
    assert garbage.status_code == 200 and garbage.text == "<html>oops"
    with pytest.raises(ValueError):
        garbage.json()
    emu.fail_next(1, path="/api/v1/auth/oauth/token")
    assert _project(server).status_code == 200
    token = requests.post(f"{server.url}/api/v1/auth/oauth/token", data={"grant_type": "refresh_token"})
    assert token.status_code == 500
    with pytest.raises(ValueError):
        emu.fail_next(1, mode="explode")


def test_hang_fault(server: EmulatorServer, emu: Emulator) -> None:
    emu.fail_next(1, mode="hang", delay=0.3)
    with pytest.raises(requests.Timeout):
        requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server), timeout=0.1)
    assert _project(server).status_code == 200


def test_faults_over_http(server: EmulatorServer) -> None:
    resp = requests.post(f"{server.url}/_emulator/faults", json={"n": 1, "mode": "503", "path": "/api/v1/projects"})
    assert resp.status_code == 200
    assert _project(server).status_code == 503
    bad = requests.post(f"{server.url}/_emulator/faults", json={"mode": "nope"})
    assert bad.status_code == 400


def test_call_counting(server: EmulatorServer, emu: Emulator) -> None:
    assert emu.calls() == 0
    password_user(server, "count@example.com")
    _project(server)
    _project(server)
    requests.post(f"{server.url}/_emulator/clock", json={"advance": 1})
    requests.get(f"{server.url}/mock-oauth/interaction/nope")
    assert emu.calls() == 3
    assert emu.calls("GET", "/api/v1/projects/current") == 2
    assert emu.calls("POST", "/api/v1/auth/password/sign-up") == 1
    assert emu.calls("POST") == 1 and emu.calls(path="/api/v1/users/me") == 0
    assert emu.call_log == [
        ("POST", "/api/v1/auth/password/sign-up"),
        ("GET", "/api/v1/projects/current"),
        ("GET", "/api/v1/projects/current"),
    ]
    over_http = requests.get(f"{server.url}/_emulator/calls", params={"method": "GET"}).json()
    assert over_http["count"] == 2 and len(over_http["log"]) == 3


def test_clock_and_reset(server: EmulatorServer, emu: Emulator) -> None:
    before = emu.now()
    body = requests.post(f"{server.url}/_emulator/clock", json={"advance": 30}).json()
    assert body["offset"] == 30 and emu.now() >= before + 30
    password_user(server, "gone@example.com")
    emu.set_access_token_lifetime(5)
    emu.project.sign_up_enabled = False
    emu.fail_next(3)
    assert requests.post(f"{server.url}/_emulator/reset").json() == {"success": True}
    assert emu.clock_offset == 0 and emu.access_token_lifetime == 600 and emu.data.users == {}
    assert emu.project.sign_up_enabled is True and emu.calls() == 0
    assert _project(server).status_code == 200


def test_control_helpers(server: EmulatorServer, emu: Emulator) -> None:
    user = requests.post(f"{server.url}/_emulator/users", json={"email": "h@example.com", "password": "password123"})
    assert user.status_code == 201 and user.json()["primary_email_verified"] is True
    sess = requests.post(f"{server.url}/_emulator/sessions", json={"user_id": user.json()["id"]}).json()
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, sess["access_token"]))
    assert me.json()["primary_email"] == "h@example.com"
    assert requests.get(f"{server.url}/_emulator/emails").json() == {"items": []}
    assert requests.post(f"{server.url}/_emulator/clock", data="[").status_code == 400
