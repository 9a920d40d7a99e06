#!/usr/bin/env python3
"""Developer entry point that works on a fresh machine with only Python.

``python3 dev.py example`` starts the bundled Stack Auth emulator and the example app together.
``python3 dev.py test`` runs the whole test suite.
``python3 dev.py diagrams`` renders ``docs/diagrams/*.mmd`` to the SVGs the docs show (needs npm and Chromium;
only when a diagram changed: the SVGs are committed, so building the docs needs neither).

``example`` and ``test`` create ``.venv`` on first use and install the project with its ``dev`` extra into it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("STACKAUTH_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def _ensure_env() -> None:
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Reinstall only when the dependency list changed, so repeated runs start fast.
    stamp = VENV / ".flask-stackauth-stamp"
    # STACKAUTH_EXTRAS: CI adds ``docs`` to build the documentation site.
    extras = os.environ.get("STACKAUTH_EXTRAS", "dev")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing flask-stackauth with its {extras} extras (first run only)", flush=True)
    subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    subprocess.check_call([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[{extras}]"])
    stamp.write_text(digest)


def _run(command: list[str]) -> int:
    """Run ``command`` to its end and return its exit status (130 when Ctrl-C ended it).

    Ctrl-C reaches the child directly (same process group) and it shuts down on its own; this process only waits,
    so the user sees the child's clean exit rather than a ``KeyboardInterrupt`` traceback from here.
    """
    child = subprocess.Popen(command, cwd=ROOT)
    while True:
        try:
            status = child.wait()
        except KeyboardInterrupt:
            continue
        return 128 + signal.SIGINT if status == -signal.SIGINT else status


def _diagrams() -> int:
    """Render every ``docs/diagrams/<name>.mmd`` to ``docs/img/diagram-<name>.svg`` with Mermaid's CLI."""
    tools = ROOT / ".mermaid-cli"
    mmdc = tools / "node_modules" / ".bin" / "mmdc"
    # Puppeteer's own browser download is never used: Debian's Chromium renders.
    env = {**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    if not mmdc.exists():
        npm = shutil.which("npm")
        if npm is None:
            print("dev.py diagrams needs npm (Debian: apt-get install npm) and /usr/bin/chromium")
            return 1
        tools.mkdir(exist_ok=True)
        subprocess.check_call([npm, "install", "--no-audit", "--no-fund", "--prefix", str(tools),
                               "@mermaid-js/mermaid-cli@11"], env=env)
    browser = tools / "puppeteer.json"
    browser.write_text('{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-gpu"]}')
    for source in sorted((ROOT / "docs" / "diagrams").glob("*.mmd")):
        target = ROOT / "docs" / "img" / f"diagram-{source.stem}.svg"
        subprocess.check_call([str(mmdc), "-q", "-p", str(browser), "-b", "white", "-i", str(source),
                               "-o", str(target)], env=env)
        # The source's digest, so a test can tell that an SVG is older than its diagram.
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        target.write_text(f"<!-- rendered from docs/diagrams/{source.name} sha256:{digest} -->\n"
                          + target.read_text())
        print(f"rendered {target.relative_to(ROOT)}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"example", "test", "diagrams"}:
        print(__doc__)
        return 2
    if argv[0] == "diagrams":
        return _diagrams()
    _ensure_env()
    if argv[0] == "test":
        return _run([str(PY), "-m", "pytest", *argv[1:]])
    return _run([str(PY), "-m", "example_app", *argv[1:]])


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # Ctrl-C while the venv is being set up
        sys.exit(130)
