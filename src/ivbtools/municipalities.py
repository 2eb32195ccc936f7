"""The municipality code list (data/municipalities.csv): which GM codes exist, and their names.

Used to refuse a code that does not exist before anything is downloaded, and a figure filed
under one municipality's code with another municipality's name.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import IvbError

FILE = "municipalities.csv"


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    valid_from: int | None
    boundary_changed: int | None


def _norm(name: str) -> str:
    """'Groningen (gemeente)' -> 'groningen', "'s-Gravenhage" -> "'s-gravenhage", 'Bergen (L.)' -> 'bergen (l.)'."""
    name = re.sub(r"\s*\(gemeente\)\s*$", "", name.strip(), flags=re.I)
    return " ".join(name.lower().split())


class Municipalities:
    def __init__(self, items: list[Municipality]):
        self.by_code = {m.code: m for m in items}
        self._by_name: dict[str, list[str]] = {}
        for m in items:
            self._by_name.setdefault(_norm(m.name), []).append(m.code)

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def __len__(self) -> int:
        return len(self.by_code)

    def name(self, code: str) -> str:
        m = self.by_code.get(code)
        return re.sub(r"\s*\(gemeente\)\s*$", "", m.name) if m else code

    def codes_named(self, name: str) -> list[str]:
        return self._by_name.get(_norm(name), [])

    def problem(self, code: str, name: str | None = None) -> str:
        """'' when `code` (with `name`, if given) is a known municipality; otherwise one sentence."""
        if code not in self.by_code:
            others = self.codes_named(name) if name else []
            hint = f"; {name} is {', '.join(others)}" if others else " — check the code (GM and four digits, e.g. GM1969)"
            return f"{code} is not a municipality in the code list (data/municipalities.csv, police table 47025NED){hint}"
        if name:
            others = [c for c in self.codes_named(name) if c != code]
            if others and _norm(name) != _norm(self.by_code[code].name):
                return (f"{code} is {self.name(code)}, but the name given is {name}, which is {', '.join(others)} — "
                        f"correct the code or the name")
        return ""

    def check(self, code: str, name: str | None = None) -> str:
        msg = self.problem(code, name)
        if msg:
            raise IvbError(msg)
        return code


def load_municipalities(data_dir: Path) -> Municipalities | None:
    """The code list of a data folder, or None when the folder has none (then codes are not checked)."""
    path = Path(data_dir) / FILE
    if not path.is_file():
        return None
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    items = []
    for rec in csv.DictReader(lines):
        items.append(Municipality(rec["code"].strip(), rec["name"].strip(),
                                  int(rec["valid_from"]) if rec.get("valid_from") else None,
                                  int(rec["boundary_changed"]) if rec.get("boundary_changed") else None))
    return Municipalities(items)
