"""``flask stackauth emulator`` serves the emulator, as ``python -m flask_stackauth.emulator`` does."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[2]
#: ``flask --app`` calls a factory with literal arguments: an app as users write one.
APP = "tests.conftest:make_app({'STACK_PROJECT_ID': 'internal'})"


def _lines(stream: IO[str], out: queue.Queue[str]) -> None:
    for line in stream:
        out.put(line)


def test_emulator_command_serves_the_emulator() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", APP, "stackauth", "emulator", "--port", "0",
         "--access-token-lifetime", "120"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
        first = lines.get(timeout=60)
        assert first.startswith("Stack Auth emulator listening on http://127.0.0.1:"), first
        url = first.split()[-1]
        printed = [lines.get(timeout=10) for _ in range(6)]
        assert any("access tokens live 120s" in line for line in printed), printed
        answer = requests.get(f"{url}/api/v1/projects/internal/.well-known/jwks.json", timeout=10)
        assert answer.status_code == 200
        assert answer.json()["keys"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_emulator_command_refuses_a_bad_port() -> None:
    from tests.conftest import make_app

    app = make_app({"STACK_PROJECT_ID": "internal"})
    result = app.test_cli_runner().invoke(args=["stackauth", "emulator", "--port", "70000"])
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.output
    assert "Traceback" not in result.output
