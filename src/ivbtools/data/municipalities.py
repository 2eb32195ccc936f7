"""The municipality code list (data/municipalities.csv): which GM codes exist, and their names.

Used to refuse a code that does not exist before anything is downloaded, and a figure filed
under one municipality's code with another municipality's name. Three kinds of GM code:

- `current`: a municipality today (the only ones that take part in peers and national tables);
- `pseudo`: GM codes of the police tables that are not municipalities (GM0998 "Buitenland",
  GM0999 "Gemeenten; niet in te delen"): named as such, never counted as a municipality;
- `former`: a municipality merged away, with the date it ended and its successor, so that its
  code gets one line naming the successor. Besides the file's own entries, an all-municipality
  fetch records the former codes that CBS's population table still lists
  (data/cache/former-municipalities.json: name and last year with figures, no successor).
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import IvbError
from .cache import SEEN_FORMER
from .embedded import embedded_only

FILE = "municipalities.csv"
KINDS = ("current", "pseudo", "former")


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    valid_from: int | None
    boundary_changed: int | None
    kind: str = "current"
    ended: str = ""          # former: ISO date from which the code no longer exists
    successor: str = ""      # former: the code that took its place
    last_year: int | None = None   # former, seen in the data only: last year with figures


def _norm(name: str) -> str:
    """'Groningen (gemeente)' -> 'groningen', "'s-Gravenhage" -> "'s-gravenhage", 'Bergen (L.)' -> 'bergen (l.)'."""
    name = re.sub(r"\s*\(gemeente\)\s*$", "", name.strip(), flags=re.I)
    return " ".join(name.lower().split())


def _date_en(iso: str) -> str:
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{int(m.group(3))} {months[int(m.group(2)) - 1]} {m.group(1)}" if m else iso


class Municipalities:
    """Current municipalities (`by_code`, `in`, `len`), with the pseudo and former codes beside them."""

    def __init__(self, items: list[Municipality]):
        self.by_code = {m.code: m for m in items if m.kind == "current"}
        self.others = {m.code: m for m in items if m.kind != "current"}
        self._by_name: dict[str, list[str]] = {}
        for m in self.by_code.values():
            self._by_name.setdefault(_norm(m.name), []).append(m.code)

    def __contains__(self, code: str) -> bool:
        return code in self.by_code

    def __len__(self) -> int:
        return len(self.by_code)

    def name(self, code: str) -> str:
        m = self.by_code.get(code) or self.others.get(code)
        return re.sub(r"\s*\(gemeente\)\s*$", "", m.name) if m else code

    def codes_named(self, name: str) -> list[str]:
        return self._by_name.get(_norm(name), [])

    def problem(self, code: str, name: str | None = None) -> str:
        """'' when `code` (with `name`, if given) is a current municipality; otherwise one sentence."""
        if code not in self.by_code:
            other = self.others.get(code)
            if other is not None and other.kind == "pseudo":
                return (f"{code} is {other.name!r} in the police tables: a collection of registrations without a "
                        f"municipality, not a municipality — choose a municipality's code, e.g. GM1969")
            if other is not None and other.kind == "former":
                if other.successor:
                    return (f"{code} ({other.name}) no longer exists: merged into {self.name(other.successor)} "
                            f"({other.successor}) on {_date_en(other.ended)} — use {other.successor}; the police "
                            f"tables give earlier years on the current boundaries")
                last = f" (CBS figures up to {other.last_year})" if other.last_year else ""
                return (f"{code} ({other.name}) is a former municipality{last}, not a current one — use the code of "
                        f"the municipality it became part of (add it as successor in data/municipalities.csv)")
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


def _int(text) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isdigit() else None


def read_code_list(path: Path) -> list[Municipality]:
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    items = []
    for n, rec in enumerate(csv.DictReader(lines), start=2):
        kind = (rec.get("kind") or "current").strip()
        if kind not in KINDS:
            raise IvbError(f"{path}: entry {rec.get('code')!r}: kind {kind!r} is not one of {', '.join(KINDS)}")
        items.append(Municipality(rec["code"].strip(), rec["name"].strip(), _int(rec.get("valid_from")),
                                  _int(rec.get("boundary_changed")), kind, (rec.get("ended") or "").strip(),
                                  (rec.get("successor") or "").strip()))
    return items


def current_codes(path: Path) -> list[tuple[str, str]]:
    """(code, name) of every current municipality of a code list file."""
    return [(m.code, m.name) for m in read_code_list(path) if m.kind == "current"]


def load_municipalities(data_dir: Path, seen_former: bool = True) -> Municipalities | None:
    """The code list of a data folder, or None when the folder has none (then codes are not
    checked); with the former codes an all-municipality fetch saw in the data (unless the
    folder's user layers are ignored)."""
    path = Path(data_dir) / FILE
    if not path.is_file():
        return None
    items = read_code_list(path)
    if seen_former:
        known = {m.code for m in items}
        for code, info in _seen_former(Path(data_dir)).items():
            if code not in known:
                items.append(Municipality(code, str(info.get("name", code)), None, None, "former",
                                          last_year=_int(info.get("last_year"))))
    return Municipalities(items)


def _seen_former(data_dir: Path) -> dict:
    if embedded_only(data_dir):
        return {}
    try:
        payload = json.loads((data_dir / "cache" / SEEN_FORMER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}
