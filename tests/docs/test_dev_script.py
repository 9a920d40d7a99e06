"""``python3 dev.py example`` / ``test``: Ctrl-C ends the child, and dev.py itself prints no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A child that, like the example app's server, shuts down quietly on Ctrl-C (exit status 0).
CHILD = "import signal, sys, time; signal.signal(signal.SIGINT, lambda *_: sys.exit(0)); print('up', flush=True); " \
        "time.sleep(60)"
LAUNCH = f"import dev, sys; sys.exit(dev._run([sys.executable, '-c', {CHILD!r}]))"


def test_ctrl_c_ends_the_child_without_a_traceback() -> None:
    # Ctrl-C in a terminal signals the whole foreground process group: dev.py and its child.
    process = subprocess.Popen([sys.executable, "-c", LAUNCH], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "up"
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert "KeyboardInterrupt" not in err, err
    assert process.returncode == 0
