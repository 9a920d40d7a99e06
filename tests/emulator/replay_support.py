"""Replay recorded requests (the ``request`` of each step in the shared recordings) against the emulator.

A :class:`Replayer` sends a step's method, path, body or form with the headers the recording lists as
sent (tokens of the step's ``as_user``), after replacing recorded ids, codes and tokens by the emulator's
own (learnt from answers, or given with :meth:`Replayer.map`), and compares the answer with
:func:`assert_like`: status, ``x-stack-known-error``, content type, body keys, error messages.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from emu_support import load_recording

from flask_stackauth.emulator import Emulator, EmulatorServer

_LEARN = re.compile(r"^([0-9a-f-]{36}|[0-9a-z]{45})$")


def recording(version: str, name: str) -> dict[str, Any]:
    """A recording file, or skip the test when the shared recordings are absent."""
    data = load_recording(version, name)
    if data is None:
        pytest.skip("shared Stack Auth wire recordings not available")
    return data


def assert_like(resp: requests.Response, recorded: dict[str, Any], *, step: str = "") -> None:
    """Same status, known-error header, content type, body keys and error message."""
    where = f"{step}: {resp.text[:300]}"
    assert resp.status_code == recorded["status"], where
    assert resp.headers.get("x-stack-known-error") == recorded["headers"].get("x-stack-known-error"), where
    rec_ct = recorded["headers"].get("content-type")
    if rec_ct:
        assert resp.headers["content-type"].split(";")[0] == rec_ct.split(";")[0], where
    body = recorded.get("body")
    if isinstance(body, dict):
        got = resp.json()
        assert set(got) == set(body), where
        if "code" in body and "error" in body:
            if body["code"] != "SCHEMA_ERROR" or "must be a `" not in body["error"]:
                assert _norm(got["error"]) == _norm(body["error"]), where
            if isinstance(body.get("details"), dict):
                assert set(got["details"]) == set(body["details"]), where
    elif isinstance(body, str) and body:
        assert resp.text.split("\n\nRequest ID")[0].split("URL:")[0] == body.split("\n\nRequest ID")[0].split(
            "URL:")[0], where


def _norm(text: str) -> str:
    """Error messages with ids, emails and paths blanked (they differ between runs)."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    return re.sub(r"[\w.+-]+@[\w.-]+", "<email>", text)


class Replayer:
    """Send recorded steps to an emulator and hold the answers to the recording."""

    def __init__(self, server: EmulatorServer, rec: dict[str, Any]) -> None:
        self.server = server
        self.emu: Emulator = server.emulator
        self.rec = rec
        self.subst: dict[str, str] = {}
        self.users: dict[str, dict[str, str]] = {}

    def map(self, recorded: str, actual: str) -> None:
        """Replace ``recorded`` by ``actual`` in every later request (upper-case variants too)."""
        self.subst[recorded] = actual
        self.subst[recorded.upper()] = actual.upper()

    def session(self, name: str, tokens: dict[str, str]) -> None:
        """Use ``tokens`` (``access_token``, ``refresh_token``) for steps recorded ``as_user`` ``name``."""
        self.users[name] = tokens

    def request_of(self, step: str) -> dict[str, Any]:
        """The recorded request of ``step``."""
        req: dict[str, Any] = self.rec[step]["request"]
        return req

    def _sub(self, value: Any) -> Any:
        if isinstance(value, str):
            for old in sorted(self.subst, key=len, reverse=True):
                if old in value:
                    value = value.replace(old, self.subst[old])
            return value
        if isinstance(value, dict):
            return {k: self._sub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._sub(v) for v in value]
        return value

    def send(
        self, step: str, *, user: str | None = None, body: Any = ..., path: str | None = None
    ) -> requests.Response:
        """Send ``step``'s request (``user``/``body``/``path`` override the recorded ones)."""
        req = self.request_of(step)
        sent = set(req.get("headers_sent", []))
        s = self.server
        headers: dict[str, str] = {}
        if req.get("access_type"):
            headers["x-stack-access-type"] = req["access_type"]
        if "x-stack-project-id" in sent:
            headers["x-stack-project-id"] = s.project_id
        if "x-stack-publishable-client-key" in sent:
            headers["x-stack-publishable-client-key"] = s.publishable_key
        if "x-stack-secret-server-key" in sent:
            headers["x-stack-secret-server-key"] = s.secret_server_key
        if "x-stack-super-secret-admin-key" in sent:
            headers["x-stack-super-secret-admin-key"] = s.super_secret_admin_key
        who = self.users.get(user or req.get("as_user") or "")
        if "x-stack-access-token" in sent:
            headers["x-stack-access-token"] = who["access_token"] if who else "garbage"
        if "x-stack-refresh-token" in sent and who:
            headers["x-stack-refresh-token"] = who["refresh_token"]
        url = s.url + self._sub(path or req["path"])
        if "form" in req:
            return requests.request(req["method"], url, data=self._sub(req["form"]), headers=headers, timeout=30)
        if "raw_body" in req:
            headers["content-type"] = "text/plain"
            return requests.request(req["method"], url, data=req["raw_body"], headers=headers, timeout=30)
        payload = self._sub(req.get("body")) if body is ... else body
        if payload is None:
            return requests.request(req["method"], url, headers=headers, timeout=30)
        return requests.request(req["method"], url, json=payload, headers=headers, timeout=30)

    def check(self, step: str, **kw: Any) -> requests.Response:
        """Send ``step`` and assert the answer is like the recorded one; learn ids from it."""
        resp = self.send(step, **kw)
        recorded = self.rec[step]
        assert_like(resp, recorded, step=step)
        if "json" in resp.headers.get("content-type", "") and resp.text:
            self._learn(recorded.get("body"), resp.json())
        return resp

    def _learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for k, v in recorded.items():
                if k in actual:
                    self._learn(v, actual[k])
        elif isinstance(recorded, list) and isinstance(actual, list) and len(recorded) == len(actual):
            for a, b in zip(recorded, actual, strict=True):
                self._learn(a, b)
        elif isinstance(recorded, str) and isinstance(actual, str) and recorded != actual:
            if _LEARN.match(recorded) and recorded not in self.subst:
                self.map(recorded, actual)

    def last_mail(self, kind: str) -> dict[str, Any]:
        """The newest mail of ``kind`` in the emulator's outbox."""
        mails = [m for m in self.emu.emails if m.get("type") == kind]
        assert mails, f"no {kind} mail sent"
        return mails[-1]

    def code_of(self, step: str) -> str:
        """The recorded ``code`` of ``step``'s body."""
        return str(self.request_of(step)["body"]["code"])

    def map_code(self, step: str, kind: str) -> str:
        """Map ``step``'s recorded code to the newest emulator mail of ``kind``; return the emulator code."""
        actual = str(self.last_mail(kind)["code"])
        self.map(self.code_of(step), actual)
        return actual


def dumps(value: Any) -> str:
    """JSON for assertion messages."""
    return json.dumps(value, indent=1)[:500]
