"""Run the deployment test app under a real gunicorn and a real Redis, and drive it over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.client import complete_oauth
from tests.helpers import form_token_in

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.deploy.gunicorn_app:create_app()"
WORKERS = 3
TOKEN_PATH = "/api/v1/auth/oauth/token"
JSON = {"Accept": "application/json"}


def issue_expiring_tokens(emu: Any) -> None:
    """Access tokens issued from now on live 60 s but were issued 50 s ago: 10 s left.

    That is inside a 60 s refresh leeway even after it is capped at half the token's lifetime (30 s).
    Undo with :func:`issue_normal_tokens`.
    """
    emu.set_access_token_lifetime(60)
    emu.advance_clock(-50)


def issue_normal_tokens(emu: Any) -> None:
    """Undo :func:`issue_expiring_tokens`: the real clock again, tokens living 10 minutes."""
    emu.advance_clock(50)
    emu.set_access_token_lifetime(600)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_until(check: Any, proc: subprocess.Popen[Any], what: str, log: Any = None, tries: int = 150) -> None:
    for _ in range(tries):
        if proc.poll() is not None:
            break
        try:
            if check():
                return
        except Exception:  # not up yet: connection refused, for whichever client
            pass
        time.sleep(0.1)
    output = ""
    if log is not None:
        log.seek(0)
        output = log.read()[-3000:]
    pytest.fail(f"{what} did not start (exit code {proc.poll()}):\n{output}")


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway ``redis-server`` on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)")
    import redis

    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        _wait_until(client.ping, proc, "redis-server")
        client.close()
        yield url
    finally:
        _stop(proc)


@contextmanager
def gunicorn(emulator: EmulatorServer, **env: str) -> Iterator[str]:
    """Serve the deployment app with gunicorn and :data:`WORKERS` sync workers; yields its base URL."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("STACK_", "DEPLOY_"))}
    environment.update({
        "STACK_PROJECT_ID": emulator.project_id,
        "STACK_PUBLISHABLE_CLIENT_KEY": emulator.publishable_key,
        "STACK_API_URL": emulator.url,
        "STACK_HTTP_TIMEOUT": "5",
        "DEPLOY_SECRET_KEY": "deploy-secret-key-shared-by-every-worker-" + "x" * 16,
        **env,
    })
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
             "--timeout", "30", "--graceful-timeout", "5", APP],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until(lambda: requests.get(f"{base}/pid", timeout=2).ok, proc, "gunicorn", log)
            yield base
        finally:
            _stop(proc)


def sign_in(base: str, email: str) -> tuple[requests.Session, requests.Response]:
    """A whole OAuth sign-in against the app at ``base``; returns the browser and the callback's answer."""
    browser = requests.Session()
    start = browser.get(f"{base}/auth/login/github", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    callback = complete_oauth(start.headers["Location"], email)
    assert callback.startswith(f"{base}/auth/callback?"), callback
    answer = browser.get(callback, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return browser, answer


def burst(base: str, path: str, cookies: dict[str, str], n: int = 30) -> list[requests.Response]:
    """``n`` concurrent GETs of ``path``, all with the same cookies (as a browser's parallel requests)."""
    def one(_: int) -> requests.Response:
        return requests.get(f"{base}{path}", cookies=cookies, headers=JSON, allow_redirects=False, timeout=30)

    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(one, range(n)))


def sign_out(base: str, browser: requests.Session) -> requests.Response:
    """Sign out with the form the app renders (its signed form token)."""
    page = browser.get(f"{base}/auth/logout", timeout=10)
    assert page.status_code == 200, page.text
    return browser.post(f"{base}/auth/logout", data={"csrf_token": form_token_in(page.text)}, allow_redirects=False,
                        timeout=10)
