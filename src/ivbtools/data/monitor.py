"""The monitored policy (data/monitor/*.yaml): priorities with their 2027 goals quoted and the
indicators that signal how things move. Read and validated here; no code per priority."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import IvbError
from ..ids import check_id
from ..yamlio import listing, read_yaml, require_mapping, text
from .registry import Indicator
from .targets import read_header


@dataclass(frozen=True)
class MonitorIndicator:
    indicator: str
    reading: str


@dataclass(frozen=True)
class Priority:
    id: str
    name: str
    goal_2027: str
    indicators: tuple[MonitorIndicator, ...] = ()
    wanted: tuple[tuple[str, str], ...] = ()   # (what, what is needed to add it)
    no_indicator: str = ""


@dataclass
class Monitor:
    id: str
    title: str
    municipality: str
    period: tuple[int, int]
    source_id: str
    where: str
    priorities: list[Priority] = field(default_factory=list)


def _text(v) -> str:
    return " ".join(str(v or "").split())


def load_monitor(path: Path, indicators: dict[str, Indicator]) -> Monitor:
    doc = require_mapping(read_yaml(path), path, "a monitor file")
    head = require_mapping(doc.get("monitor"), path, "'monitor'")
    mon = Monitor(**read_header(head, path, "monitor"))
    seen = set()
    for i, p in enumerate(listing(doc, "priorities", str(path)), start=1):
        pid = p.get("id")
        where = f"{path}: priority {pid if isinstance(pid, str) else '#' + str(i)}"
        if not pid or pid in seen:
            raise IvbError(f"{where}: every priority needs its own 'id'")
        check_id(pid, where, "id")
        seen.add(pid)
        for key in ("name", "goal_2027"):
            if not p.get(key):
                raise IvbError(f"{where}: '{key}' is missing — quote the policy text")
        inds = []
        for d in listing(p, "indicators", where):
            iid = d.get("indicator")
            if not isinstance(iid, str) or iid not in indicators:
                raise IvbError(f"{where}: unknown indicator {iid!r} — use an id of data/indicators.yaml")
            if not d.get("reading"):
                raise IvbError(f"{where}: indicator {iid} needs a 'reading' (how it relates to the priority)")
            inds.append(MonitorIndicator(iid, text(d, "reading", f"{where}, indicator {iid}")))
        if not inds and not p.get("no_indicator"):
            raise IvbError(f"{where}: no indicators — list them, or say why in 'no_indicator'")
        wanted = tuple((text(w, "name", f"{where}, wanted"), text(w, "needs", f"{where}, wanted", required=False))
                       for w in listing(p, "wanted", where))
        mon.priorities.append(Priority(pid, text(p, "name", where), text(p, "goal_2027", where), tuple(inds), wanted,
                                       text(p, "no_indicator", where, required=False)))
    if not mon.priorities:
        raise IvbError(f"{path}: no priorities — list them under 'priorities:'")
    return mon


def load_monitors(folder: Path, indicators: dict[str, Indicator]) -> Monitor | None:
    files = sorted(Path(folder).glob("*.yaml")) if Path(folder).is_dir() else []
    if not files:
        return None
    if len(files) > 1:
        raise IvbError(f"{folder}: {len(files)} monitor files — keep one per data folder")
    return load_monitor(files[0], indicators)
