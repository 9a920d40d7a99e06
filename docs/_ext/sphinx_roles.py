"""A griffe extension for the API reference: Sphinx roles in docstrings render as code, not as raw reST.

Our docstrings are reST (``:param:``, ``:raises:``, which ``docstring_style: sphinx`` parses) and name other
objects with roles such as ``:class:`~flask_stackauth.emulator.EmulatorServer```. mkdocstrings renders Markdown
and would print those roles as they are; this turns each into inline code of the name (the last part with ``~``,
as Sphinx does).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|exc|data|mod|obj|const):`(~?)([^`]+)`")


def _name(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    """Rewrite reST roles in every docstring the API reference loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_name, obj.docstring.value)
