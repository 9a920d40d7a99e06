"""A production app never loads the emulator: not at ``StackAuth(app)``, not while serving a protected request."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

PROBE = r"""
import json, sys
from flask import Flask
from flask_stackauth import StackAuth, current_user, login_required

app = Flask("prod")
app.config.update(SECRET_KEY="s" * 40, STACK_PROJECT_ID=sys.argv[1], STACK_API_URL=sys.argv[2],
                  STACK_PUBLISHABLE_CLIENT_KEY=sys.argv[3])
StackAuth(app)

@app.get("/private")
@login_required
def private():
    return {"id": current_user.id}

answer = app.test_client().get("/private", headers={"Authorization": "Bearer " + sys.argv[4]})
print(json.dumps({"status": answer.status_code, "body": answer.get_json(),
                  "emulator": sorted(m for m in sys.modules if m.startswith("flask_stackauth.emulator"))}))
"""


def test_a_protected_request_leaves_the_emulator_unloaded(stackauth_emulator: Any,
                                                          stackauth_bearer: Any) -> None:
    token = stackauth_bearer("prod@example.com")
    # A fresh interpreter: this test session has imported the emulator itself.
    out = subprocess.run([sys.executable, "-c", PROBE, stackauth_emulator.project_id, stackauth_emulator.url,
                          stackauth_emulator.publishable_key, token],
                         capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout)
    assert result["status"] == 200 and result["body"]["id"]  # the request really was authenticated
    assert result["emulator"] == []
