"""The documentation stays true: every setting is documented, and the code it shows runs."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flask_stackauth.emulator import EmulatorServer
from tests.helpers import sign_in

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def settings_in_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "flask_stackauth").glob("*.py"):
        names.update(re.findall(r'"(STACK_[A-Z_]+)"', path.read_text()))
    # Error codes share the prefix; they are not settings.
    return {n for n in names if not n.startswith("STACK_AUTH_")}


def test_every_setting_is_in_the_configuration_reference() -> None:
    reference = (DOCS / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `(STACK_[A-Z_]+)` \|", reference, re.M))
    assert "STACK_PROJECT_ID" in settings_in_code()
    missing = settings_in_code() - documented
    assert not missing, f"add these settings to docs/configuration.md: {sorted(missing)}"


def test_the_quickstart_app_signs_in(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in stackauth_config.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("SECRET_KEY", "quickstart-secret-" + "x" * 32)
    spec = importlib.util.spec_from_file_location("quickstart_app", DOCS / "snippets" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    client = module.app.test_client()

    assert client.get("/").get_data(as_text=True) == '<a href="/auth/login?next=/dashboard">Sign in</a>'
    first = client.get("/dashboard")
    assert first.status_code == 302
    assert first.headers["Location"] == "/auth/login?next=/dashboard"
    back = sign_in(client, "ada@example.com", next_url="/dashboard")
    assert back.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").get_data(as_text=True) == "Hello ada@example.com"
    assert "Signed in as ada@example.com" in client.get("/").get_data(as_text=True)


@pytest.mark.slow
def test_the_testing_guide_example_passes(tmp_path: Path) -> None:
    shutil.copy(DOCS / "snippets" / "test_example.py", tmp_path)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "6 passed" in result.stdout
