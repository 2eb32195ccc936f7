"""Reading the project's YAML files with errors that name the file and line.

Every YAML file is untrusted (policy files will come from outside through `ivb draft`): anchors
and aliases are refused (a few lines of nested aliases expand to gigabytes: "billion laughs"),
and a file larger than MAX_BYTES is refused before it is parsed. Only plain data types are read
(yaml.SafeLoader: no Python objects).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import IvbError

MAX_BYTES = 5_000_000   # the project's largest YAML file is a few kilobytes


class _NoAliases(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases (&x / *x): no file of this project needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasError(event.start_mark)
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _AliasError(event.start_mark)
        return super().compose_node(parent, index)


class _AliasError(Exception):
    def __init__(self, mark):
        self.mark = mark


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming file, line and column."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise IvbError(f"{path}: file not found — check the data folder (--data / data_dir)") from None
    except OSError as exc:
        raise IvbError(f"{path}: cannot be read ({exc.strerror})") from None
    if size > MAX_BYTES:
        raise IvbError(f"{path}: {size:,} bytes — more than the {MAX_BYTES:,} a YAML file of ivb may have; "
                       f"is it the right file?")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise IvbError(f"{path}: file not found — check the data folder (--data / data_dir)") from None
    except UnicodeDecodeError:
        raise IvbError(f"{path}: not a UTF-8 text file — save it as UTF-8 YAML") from None
    except OSError as exc:
        raise IvbError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_NoAliases)   # noqa: S506 — a SafeLoader without aliases
    except _AliasError as exc:
        raise IvbError(f"{path}:{exc.mark.line + 1}:{exc.mark.column + 1}: YAML anchors and aliases (&name / *name) are "
                       f"not allowed in ivb's files — write the value out in full") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise IvbError(f"{where}: YAML syntax error ({problem}) — fix the indentation or quoting there") from None
    except RecursionError:
        raise IvbError(f"{path}: nested too deeply to be a file of ivb") from None


def require_mapping(obj: Any, path: Path, what: str) -> dict:
    if not isinstance(obj, dict):
        raise IvbError(f"{path}: expected {what} as a mapping (key: value), got {type(obj).__name__}")
    return obj


def text(d: dict, key: str, where: str, required: bool = True) -> str:
    """A text field of a YAML mapping as one line of text; a list, mapping or other shape is one line
    naming the entry and the expected type (a quote written as a list, for instance)."""
    v = d.get(key)
    if v is None or v == "":
        if required:
            raise IvbError(f"{where}: '{key}' is missing — add it")
        return ""
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise IvbError(f"{where}: '{key}' must be text, got a {_kind(v)} — write it as one (quoted) string")
    return " ".join(str(v).split())


def listing(d: dict, key: str, where: str, of: type = dict) -> list:
    """A list field of a YAML mapping whose items are all of type `of`; one line otherwise."""
    v = d.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise IvbError(f"{where}: '{key}' must be a list (lines starting with '- '), got a {_kind(v)}")
    for i, item in enumerate(v, start=1):
        if not isinstance(item, of):
            want = "a mapping (key: value lines)" if of is dict else f"a {of.__name__}"
            raise IvbError(f"{where}: item {i} of '{key}' must be {want}, got a {_kind(item)}")
    return v


def _kind(v) -> str:
    return {list: "list", dict: "mapping", str: "text", int: "number", float: "number", bool: "yes/no value"}.get(
        type(v), type(v).__name__)
