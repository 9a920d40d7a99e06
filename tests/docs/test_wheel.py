"""The built wheel, installed without the checkout, runs the example app against the emulator.

The wheel is the one ``.ci/run`` built (``STACKAUTH_WHEEL``), else built here. It goes into a fresh venv that sees
the test venv's dependencies (a ``.pth`` line, so nothing is downloaded) but not the checkout: the editable
install's finder lives in a ``.pth`` file of the test venv, which a path added this way never runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SMOKE_TEST = '''
import sys
from importlib.metadata import entry_points
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import flask_stackauth
from flask_stackauth.emulator.client import complete_oauth

PACKAGE = Path(flask_stackauth.__file__).parent


def test_the_package_comes_from_the_wheel():
    assert PACKAGE.is_relative_to(Path(sys.prefix)), PACKAGE
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "templates" / "stackauth" / "login.html").is_file()
    plugin = [ep for ep in entry_points(group="pytest11") if ep.name == "stackauth"]
    assert [ep.value for ep in plugin][:1] == ["flask_stackauth.testing"]


@pytest.fixture
def app(stackauth_config):
    from example_app import create_app

    return create_app({"TESTING": True, **stackauth_config})


def test_the_example_app_signs_in(client):
    assert client.get("/").status_code == 200
    assert client.get("/dashboard").headers["Location"] == "/auth/login?next=/dashboard"
    page = client.get("/auth/login?next=/dashboard")
    assert page.status_code == 200 and "github" in page.text.lower()  # the sign-in page, from the wheel's templates
    start = client.get("/auth/login/github?next=/dashboard")
    callback = urlsplit(complete_oauth(start.headers["Location"], "wheel@example.com"))
    assert client.get(f"{callback.path}?{callback.query}").headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_the_plugin_signs_a_client_in(client, stackauth_login):
    stackauth_login(client, email="fixture@example.com")
    assert client.get("/dashboard").status_code == 200
'''


def _wheel(tmp_path: Path) -> Path:
    built = os.environ.get("STACKAUTH_WHEEL")
    if built:
        return Path(built)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    return next((tmp_path / "dist").glob("*.whl"))


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_runs_the_example_app(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert "flask_stackauth/py.typed" in names
    assert "flask_stackauth/templates/stackauth/login.html" in names
    assert not any(n.startswith(("tests/", "example_app/", "docs/")) for n in names)

    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "test-venv-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=120)

    # The example app, beside the test, not importable from the checkout.
    shutil.copytree(ROOT / "example_app", tmp_path / "project" / "example_app",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "project" / "test_smoke.py").write_text(SMOKE_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STACK_", "PYTHON"))}
    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_smoke.py"],
                            cwd=tmp_path / "project", env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.splitlines()[-1].startswith("3 passed")
