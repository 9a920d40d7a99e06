"""The documentation stays true: every setting is documented (the code it shows runs in tests/docs)."""

from __future__ import annotations

import re
from pathlib import Path

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
