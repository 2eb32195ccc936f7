"""Ids that become file names, anchors or parameters: one pattern, checked by every loader, and
paths built from them checked to stay inside their folder.

An id from a file (a target part, check, theme, priority, indicator or source) becomes a file
name (`<part>.html`, `<part>.ipynb`), an anchor or a notebook parameter. Files will come from
outside (`ivb draft` reads other municipalities' documents), so an id is letters, digits, `-` and
`_` only, starting with a letter or digit, at most 80 characters: no `/`, `..`, spaces, quotes or
markup can reach a path or a page through it.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import IvbError

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
RULE = "letters, digits, '-' and '_' only, starting with a letter or digit, at most 80 characters"


def check_id(value, where: str, what: str = "id") -> str:
    """`value` as an id, or one line naming where and the rule."""
    if not isinstance(value, str) or not ID.fullmatch(value):
        shown = repr(value) if len(repr(value)) < 60 else repr(value)[:57] + "..."
        raise IvbError(f"{where}: {what} {shown} is not a valid id — use {RULE} (e.g. verkeer-ongevallen)")
    return value


def inside(folder: Path, name: str) -> Path:
    """folder/name, refused unless it stays inside `folder` (a second guard behind check_id)."""
    folder = Path(folder)
    path = folder / name
    root = folder.resolve()
    if not path.resolve().is_relative_to(root) or path.resolve() == root:
        raise IvbError(f"{name!r} would be written outside {folder} — an id may not hold a path")
    return path
