#!/usr/bin/env python3
"""Developer entry point that works on a fresh machine with only Python.

``python3 dev.py example`` starts the bundled Stack Auth emulator and the example app together.
``python3 dev.py test`` runs the whole test suite.

Both create ``.venv`` on first use and install the project with its ``dev`` extra into it.
"""

from __future__ import annotations

import hashlib
import os
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


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"example", "test"}:
        print(__doc__)
        return 2
    _ensure_env()
    if argv[0] == "test":
        return subprocess.call([str(PY), "-m", "pytest", *argv[1:]], cwd=ROOT)
    return subprocess.call([str(PY), "-m", "example_app", *argv[1:]], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
