"""What every source's fetch shares (live/fetch.py runs them): the run's context (FetchRun: cache,
years, the report it fills), one outcome line per source and area, staging and validating an
extract exactly as any observations CSV, and the rules for municipal codes (current ones kept,
former and pseudo-municipalities counted and left out)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic
from ..data.cache import Cache
from ..data.months import months_csv, read_months_csv
from ..data.municipalities import Municipalities
from ..data.observations import REQUIRED_COLUMNS, read_observation_csv
from ..data.registry import Source, load_indicators


@dataclass
class Outcome:
    source: str
    area: str
    ok: bool
    message: str
    rows: int = 0
    from_cache: bool = False


@dataclass
class FetchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)   # host -> the line that said it cannot be reached
    indicators: dict[str, list[str]] = field(default_factory=dict)   # source key -> the indicators it delivers
    # one line each: where a service differed from what ivb assumes (a discontinued or frozen
    # table passed over, next-page links on another host, a column a year's file does not have)
    notes: list[str] = field(default_factory=list)   # warnings: they change which figures are used
    log: list[str] = field(default_factory=list)     # the rest (e.g. next-page links re-based)

    def note(self, line: str, warn: bool = True) -> None:
        target = self.notes if warn else self.log
        if line not in target:
            target.append(line)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def fail(self, cache: Cache, source: str, areas, message: str) -> None:
        for a in areas:
            cache.log(source, a, False, message, self.indicators.get(source))
            self.outcomes.append(Outcome(source, a, False, message))


@dataclass
class FetchRun:
    """What every step of one `ivb fetch` shares: where it writes, what it asks for, what it found."""
    cache: Cache
    data_dir: Path
    years: list[int] | None
    refresh: bool
    timeout: float                       # seconds per request
    quiet: bool
    municipalities: Municipalities | None
    report: FetchReport = field(default_factory=FetchReport)
    sources: dict[str, dict] = field(default_factory=dict)   # source entries to register when done

    def fail(self, source: str, areas, message: str) -> None:
        self.report.fail(self.cache, source, areas, message)


def source_of(entry: dict) -> Source:
    return Source(id=entry["id"], kind=entry["kind"], publisher=entry["publisher"], title=entry["title"],
                  document=entry.get("document", ""), url=entry.get("url"), retrieved=entry["retrieved"],
                  note=entry.get("note", ""))


def stage_extract(stage: Path, data_dir: Path, name: str, rows: list[dict], entries: dict[str, dict],
                   municipalities) -> Path:
    """Write the tidy rows into the staging folder and validate them exactly as any observations
    CSV, against the source entries they name (one table, or one per BRON file)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REQUIRED_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path = stage / name
    atomic.write_text(path, buf.getvalue())
    read_observation_csv(path, load_indicators(data_dir / "indicators.yaml"),
                         {sid: source_of(e) for sid, e in entries.items()}, "cache", municipalities)
    return path


def stage_months(stage: Path, data_dir: Path, area: str, rows: list[dict], entries: dict[str, dict]) -> Path | None:
    """The monthly figures of one area into the staging folder, validated (None: the table has none
    or the spec does not ask for them)."""
    if not rows:
        return None
    path = stage / f"m-{area}.csv"
    atomic.write_text(path, months_csv(rows))
    read_months_csv(path, load_indicators(data_dir / "indicators.yaml"), {sid: source_of(e) for sid, e in entries.items()})
    return path


def cached_outcome(cache: Cache, source: str, area: str) -> Outcome:
    """A verified cache entry that holds what was asked: nothing to download; an earlier failed
    attempt for it is cleared from the log (the cache is in a good state)."""
    e = cache.entry(source, area) or {}
    if not cache.read_log().get(f"{source}:{area}", {}).get("ok", True):
        cache.log(source, area, True, f"cached entry verified ({e.get('table_id', '')})")
    return Outcome(source, area, True, f"{e.get('table_id', '')}: {e.get('figures', 0)} figures (cached, retrieved "
                                       f"{str(e.get('retrieved_at', ''))[:10]})", int(e.get("figures", 0)), True)


def years_needed(cache, key: str, areas: list[str], status: dict[str, str], years) -> list[int] | None:
    """The years to download: those asked for, plus those an entry that lacks some already holds
    (so the cache is completed, never narrowed); None: every year."""
    if years is None:
        return None
    need = set(years)
    for a in areas:
        if status[a] == "years missing":
            need |= set((cache.entry(key, a) or {}).get("years") or [])
    return sorted(need)


def current_only(rows: list[dict], municipalities) -> tuple[list[dict], dict[str, int]]:
    """Rows of current municipalities (data/municipalities.csv) and NL01, named as in the code
    list; figures under other GM codes (municipalities merged away, and the police tables'
    pseudo-municipalities GM0998/GM0999) are counted and left out: the panel compares
    municipalities on the boundaries the police tables use, the current ones."""
    kept, dropped = [], {}
    for r in rows:
        a = r["area_code"]
        if a == "NL01":
            kept.append(r)
        elif a in municipalities:
            kept.append({**r, "area_name": municipalities.name(a)})
        else:
            dropped[a] = dropped.get(a, 0) + 1
    return kept, dropped


def dropped_note(dropped: dict[str, int], municipalities) -> str:
    if not dropped:
        return ""
    pseudo = sorted(a for a in dropped if getattr(municipalities.others.get(a), "kind", "") == "pseudo")
    former = sorted(a for a in dropped if a not in pseudo)
    notes = []
    if former:
        some = ", ".join(former[:5]) + (", …" if len(former) > 5 else "")
        notes.append(f" {sum(dropped[a] for a in former)} cijfers van {len(former)} voormalige gemeenten ({some}) zijn "
                     f"niet bewaard: de vergelijking gebruikt de huidige gemeentegrenzen (data/municipalities.csv).")
    if pseudo:
        notes.append(f" {sum(dropped[a] for a in pseudo)} cijfers onder {', '.join(pseudo)} (registraties zonder "
                     f"gemeente, geen gemeenten) zijn niet bewaard.")
    return "".join(notes)


def former_seen(rows: list[dict], regions: dict[str, str], municipalities) -> dict[str, dict]:
    """Former municipalities in a table's answer: GM codes that are neither current nor pseudo,
    with their name and the last year with a figure (for one line about such a code)."""
    out: dict[str, dict] = {}
    for r in rows:
        a = r["area_code"]
        if a.startswith("GM") and a not in municipalities and a not in municipalities.others:
            e = out.setdefault(a, {"name": regions.get(a, r.get("area_name", a)), "last_year": 0})
            e["last_year"] = max(e["last_year"], int(r["year"]))
    return out
