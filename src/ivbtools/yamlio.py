"""Reading the project's YAML files with errors that name the file and line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import IvbError


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes one line naming file, line and column."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise IvbError(f"{path}: file not found — check the data folder (--data / data_dir)") from None
    except UnicodeDecodeError:
        raise IvbError(f"{path}: not a UTF-8 text file — save it as UTF-8 YAML") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise IvbError(f"{where}: YAML syntax error ({problem}) — fix the indentation or quoting there") from None


def require_mapping(obj: Any, path: Path, what: str) -> dict:
    if not isinstance(obj, dict):
        raise IvbError(f"{path}: expected {what} as a mapping (key: value), got {type(obj).__name__}")
    return obj
