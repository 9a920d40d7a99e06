"""Every Python block in ``README.md`` and ``docs/`` runs; the few that cannot carry ``test="skip"``.

pytest-examples finds the blocks. A block titled with a file name (```` ```python title="app.py" ````) is a file:
a page's files (blocks with the same title are appended) are written, with the quickstart's ``app.py``, into a
fresh folder, and when they include tests pytest runs them there, as a reader would. Every other block runs on its
own, against the emulator, in a namespace holding what its page's prose assumes (``app``, ``stack``, ``user``...).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from pytest_examples import CodeExample, EvalExample, find_examples

from flask_stackauth import StackAuth
from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.teams import define_permission
from tests.helpers import sign_in

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
QUICKSTART = DOCS / "quickstart.md"


def _settings(example: CodeExample) -> dict[str, str]:
    return example.prefix_settings()


def _examples(page: Path) -> list[CodeExample]:
    return [e for e in find_examples(page) if _settings(e).get("test") != "skip"]


def _files(page: Path) -> dict[str, str]:
    """The files a page's titled blocks make, with the quickstart's app under them."""
    files: dict[str, str] = {}
    for source in dict.fromkeys([QUICKSTART, page]):
        for example in _examples(source):
            title = _settings(example).get("title")
            if title:
                files[title] = files.get(title, "") + example.source
    return files


SNIPPETS = [e for page in PAGES for e in _examples(page) if not _settings(e).get("title")]
# Pages whose files include tests (the quickstart's app has tests of its own below).
TEST_PAGES = [page for page in PAGES if any(Path(_settings(e).get("title", "")).name.startswith("test_")
                                            for e in _examples(page))]


def _write(files: dict[str, str], folder: Path) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def _id(value: Any) -> str:
    if isinstance(value, Path):
        return str(value.relative_to(ROOT))
    return f"{Path(value.path).relative_to(ROOT)}:{value.start_line}"


@pytest.fixture
def reader_env(stackauth_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a reader who exported the quickstart's variables, pointed at the emulator."""
    env = {key: str(value) for key, value in stackauth_config.items()}
    env["SECRET_KEY"] = "docs-secret-" + "x" * 32
    # Only a client is built from it (Flask-Session's example); nothing connects.
    env["REDIS_URL"] = "redis://127.0.0.1:1/0"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _namespace(example: CodeExample, server: EmulatorServer) -> Iterator[dict[str, Any]]:
    names: dict[str, Any] = {
        "os": os, "requests": requests, "Flask": Flask, "StackAuth": StackAuth, "Blueprint": Blueprint,
        "abort": abort, "redirect": redirect, "render_template": render_template, "request": request,
        "url_for": url_for, "api": Blueprint("api", __name__), "send_welcome_email": lambda address: None,
    }
    app = Flask("docs_example")
    app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], TESTING=True)
    names["app"] = app
    if "StackAuth(app)" in example.source:
        # The block sets the extension up itself.
        yield names
        return
    stack = StackAuth(app)
    define_permission(server.emulator, "admin")
    with app.test_request_context():
        api = stack.server
        user = api.users.create(primary_email="user@example.com", display_name="User")
        team = api.teams.create(display_name="Team", creator_user_id=user.id)
        api.sessions.create(user.id)
        names.update(stack=stack, server=api, user=user, user_id=user.id, team=team,
                     other=api.users.create(primary_email="other@example.com"),
                     session_id=api.sessions.list(user.id)[0].id, url=f"{server.url}/api/v1/users/me")
        yield names


@pytest.mark.parametrize("example", SNIPPETS, ids=_id)
def test_the_block_runs(example: CodeExample, eval_example: EvalExample, reader_env: dict[str, str],
                        stackauth_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The page's files (the quickstart's app.py) are importable, as in the reader's folder.
    _write(_files(Path(example.path)), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    for names in _namespace(example, stackauth_emulator):
        failure = None
        try:
            eval_example.run(example, module_globals=names)
        except Exception as exc:
            failure = f"{_id(example)}: the block fails: {_where(exc)}{type(exc).__name__}: {exc}"
        if failure:  # raised out here, so that the rewritten traceback is not chained to it
            pytest.fail(failure, pytrace=False)


def _where(exc: BaseException) -> str:
    # pytest-examples rewrites the traceback to point into the Markdown file, in a form pytest's own traceback
    # printer trips over on some Pythons (INTERNALERROR): report the innermost line ourselves.
    tb, line = exc.__traceback__, None
    while tb is not None:
        tb, line = tb.tb_next, tb.tb_lineno
    return f"line {line}: " if line else ""


@pytest.mark.parametrize("page", TEST_PAGES, ids=_id)
def test_the_tests_of_the_page_pass(page: Path, tmp_path: Path, reader_env: dict[str, str]) -> None:
    files = _files(page)
    _write(files, tmp_path)
    tests = sum(len(re.findall(r"^def test_", text, re.M)) for name, text in files.items()
                if Path(name).name.startswith("test_"))
    # The tests pass whatever the shell exports: the factory's settings win over the environment.
    env = {**os.environ, "STACK_PROJECT_ID": "not-this-one", "STACK_API_URL": "http://127.0.0.1:9"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(rf"^{tests} passed", result.stdout.splitlines()[-1]), result.stdout[-500:]


def test_the_quickstart_app_signs_in(tmp_path: Path, reader_env: dict[str, str]) -> None:
    (tmp_path / "app.py").write_text(_files(QUICKSTART)["app.py"])
    spec = importlib.util.spec_from_file_location("quickstart_app", tmp_path / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    client = module.create_app().test_client()  # settings from the environment, as `flask --app app run`

    assert client.get("/").text == '<a href="/auth/login?next=/dashboard">Sign in</a>'
    first = client.get("/dashboard")
    assert first.status_code == 302
    assert first.headers["Location"] == "/auth/login?next=/dashboard"
    back = sign_in(client, "ada@example.com", next_url="/dashboard")
    assert back.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").text == "Hello ada@example.com"
    assert "Signed in as ada@example.com" in client.get("/").text


def test_the_quickstart_check_command_passes(tmp_path: Path, reader_env: dict[str, str]) -> None:
    (tmp_path / "app.py").write_text(_files(QUICKSTART)["app.py"])
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run([str(flask), "--app", "app", "stackauth", "check"], cwd=tmp_path,
                            env={**os.environ, **reader_env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Stack Auth setup looks right." in result.stdout


def test_every_page_shows_its_code_as_plain_markdown() -> None:
    for page in PAGES:
        text = page.read_text()
        # Snippet includes and Mermaid fences show as raw text on GitHub or on an offline site.
        assert "--8<--" not in text, f"{_id(page)} includes a snippet: put the code inline"
        assert "```mermaid" not in text, f"{_id(page)}: render the diagram to SVG (python3 dev.py diagrams)"
    assert len(SNIPPETS) > 20


def test_every_diagram_is_rendered_from_its_current_source() -> None:
    import hashlib

    sources = sorted((DOCS / "diagrams").glob("*.mmd"))
    assert sources
    for source in sources:
        svg = DOCS / "img" / f"diagram-{source.stem}.svg"
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        assert svg.exists() and f"sha256:{digest}" in svg.read_text().splitlines()[0], (
            f"{svg.name} is older than {source.name}: run python3 dev.py diagrams")
        assert any(f"img/{svg.name}" in page.read_text() for page in PAGES), f"no page shows {svg.name}"
