"""`ivb fetch`: download every figure the targets need into the cache, offline afterwards.

Police and CBS tables go through odata.py, road accidents through bron.py. Each raw response
is cached per table and area; a cached area is not downloaded again unless refresh=True.
A failure of one source is logged and reported; the cache of that source stays as it was,
and runs keep using the cached or snapshot figures.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import atomic, bron, odata
from .cache import Cache, now
from .errors import IvbError
from .observations import REQUIRED_COLUMNS, read_observation_csv
from .registry import Source, load_indicators
from .yamlio import read_yaml


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

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def _source(entry: dict) -> Source:
    return Source(id=entry["id"], kind=entry["kind"], publisher=entry["publisher"], title=entry["title"],
                  document=entry.get("document", ""), url=entry.get("url"), retrieved=entry["retrieved"],
                  note=entry.get("note", ""))


def _write_extract(cache: Cache, data_dir: Path, provider: str, table: str, area: str, rows: list[dict],
                   entry: dict) -> int:
    """Validate the tidy rows exactly as any observations CSV, then write them atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REQUIRED_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    dest = cache.extract_path(provider, table, area)
    check = dest.with_name(f".{dest.name}.check")
    atomic.write_text(check, buf.getvalue())
    try:
        read_observation_csv(check, load_indicators(data_dir / "indicators.yaml"), {entry["id"]: _source(entry)}, "cache")
        atomic.move_into_place(check, dest)
    finally:
        check.unlink(missing_ok=True)
    return len(rows)


def _odata_spec_fetch(cache, data_dir, spec, areas, years, refresh, timeout, report, sources):
    todo = [a for a in areas if refresh or not cache.has_raw(spec.key, f"{a}.json")]
    if todo:
        try:
            ref = odata.resolve_table(spec, timeout)
            raw = odata.download(spec, ref, todo, years, timeout)
        except IvbError as exc:
            for a in todo:
                cache.log(spec.key, a, False, str(exc))
                report.outcomes.append(Outcome(spec.key, a, False, str(exc)))
            todo_failed = set(todo)
        else:
            todo_failed = set()
            for a in todo:
                part = {"table": ref.__dict__, "regions": {a: raw["regions"][a]},
                        "rows": [r for r in raw["rows"] if str(r["RegioS"]).strip() == a]}
                cache.write_raw_json(spec.key, f"{a}.json", part, {
                    "url": f"{spec.base_url}/ODataFeed/odata/{ref.id}/TypedDataSet", "table_id": ref.id, "title": ref.title,
                    "modified": ref.modified, "resolved_by": ref.resolved_by, "area": a, "years": years})
    else:
        todo_failed = set()
    for a in areas:
        if a in todo_failed or not cache.has_raw(spec.key, f"{a}.json"):
            continue
        meta = cache.read_meta(spec.key, f"{a}.json")
        raw = cache.read_raw_json(spec.key, f"{a}.json")
        ref = odata.TableRef(**raw["table"])
        sid, entry = odata.source_entry(spec, ref, meta["retrieved_at"])
        rows = odata.tidy_rows(spec, raw, sid)
        n = _write_extract(cache, data_dir, spec.key, ref.id, a, rows, entry)
        sources[sid] = entry
        fresh = a in todo
        if fresh:
            cache.log(spec.key, a, True, f"{n} figures from table {ref.id}")
        report.outcomes.append(Outcome(spec.key, a, True, f"table {ref.id}: {n} figures, {meta.get('bytes', 0):,} bytes"
                                       + ("" if fresh else f" (cached, retrieved {meta['retrieved_at'][:10]})"),
                                       n, not fresh))


def _bron_fetch(cache, data_dir, cfg, areas, years, refresh, timeout, quiet, report, sources):
    base = (os.environ.get(cfg.get("env") or "", "") or cfg["base_url"]).rstrip("/")
    wanted = [p for p in cfg["periods"] if not years or (p["first"] <= max(years) and p["last"] >= min(years))]
    if not wanted:
        msg = f"no BRON period file covers {years[0]}–{years[-1]} — add one to data/live.yaml (bron.periods)"
        for a in areas:
            report.outcomes.append(Outcome("bron", a, False, msg))
        return
    for period in wanted:
        name = period["file"]
        fresh = refresh or not cache.has_raw("bron", name)
        if fresh:
            url = f"{base}/{name}"
            part = cache.raw_path("bron", f".{name}.part")
            try:
                bron.download(url, part, timeout, quiet)
            except IvbError as exc:
                for a in areas:
                    cache.log("bron", a, False, str(exc))
                    report.outcomes.append(Outcome("bron", a, False, str(exc)))
                continue
            cache.adopt_download("bron", name, part, {"url": url, "table_id": f"BRON {name}", "title": cfg["publisher"],
                                                      "modified": "", "period": [period["first"], period["last"]]})
        meta = cache.read_meta("bron", name)
        counts = bron.count_accidents(cache.raw_path("bron", name), cfg.get("member", bron.MEMBER))
        day = meta["retrieved_at"][:10]
        sid = f"bron-{name.removesuffix('.zip')}-{day.replace('-', '')}"
        entry = {"id": sid, "kind": "official_table", "publisher": cfg["publisher"],
                 "title": f"BRON verkeersongevallen {period['first']}-{period['last']} ({name}), geteld per gemeente en jaar",
                 "url": meta["url"], "document": f"{name}: {cfg.get('member', bron.MEMBER)}", "retrieved": day,
                 "note": f"Counted by ivbtools from {counts.rows} accident records ({counts.unmapped} without a municipality: "
                         f"counted nationally only); sha256 {meta['sha256'][:12]}…"}
        for a in areas:
            rows = bron.tidy_rows(counts, [a], years, sid)
            if a != "NL01" and not rows:
                msg = f"BRON {name}: no accidents with GME_ID {a[2:]} — check the municipality code"
                report.outcomes.append(Outcome("bron", a, False, msg))
                continue
            n = _write_extract(cache, data_dir, "bron", name.removesuffix(".zip"), a, rows, entry)
            sources[sid] = entry
            if fresh:
                cache.log("bron", a, True, f"{n} figures from {name}")
            report.outcomes.append(Outcome("bron", a, True, f"{name} ({meta.get('bytes', 0):,} bytes, {counts.rows:,} accidents): {n} figures"
                                           + ("" if fresh else f" (cached, retrieved {day})"),
                                           n, not fresh))


def fetch(data_dir: Path, municipalities: list[str], years: list[int] | None = None, refresh: bool = False,
          quiet: bool = False, timeout: float = 30.0, only: set[str] | None = None) -> FetchReport:
    data_dir = Path(data_dir)
    cfg = read_yaml(data_dir / "live.yaml")
    cache = Cache(data_dir)
    atomic.check_writable(cache.root)
    areas = list(dict.fromkeys(list(municipalities) + ["NL01"]))
    report, sources = FetchReport(), {}
    specs = [odata.TableSpec.from_yaml(d) for d in cfg.get("odata", [])]
    steps = [s for s in specs if not only or s.key in only] + ([cfg["bron"]] if cfg.get("bron") and (not only or "bron" in only) else [])
    for step in tqdm(steps, desc="sources", unit="table", disable=True if quiet else None, leave=False):
        if isinstance(step, odata.TableSpec):
            _odata_spec_fetch(cache, data_dir, step, areas, years, refresh, timeout, report, sources)
        else:
            _bron_fetch(cache, data_dir, step, areas, years, refresh, timeout, quiet, report, sources)
    if sources:
        cache.write_sources(sources)
    return report


def status_lines(data_dir: Path) -> list[str]:
    """What is cached, from where, retrieved when; and failed attempts (for `ivb sources`)."""
    cache = Cache(data_dir)
    lines = []
    for m in cache.all_meta():
        lines.append(f"cached  {m['file']:40} {m.get('table_id', ''):12} retrieved {m.get('retrieved_at', '')[:19]}  "
                     f"{m.get('bytes', 0):>10} B  {m.get('title', '')}  <{m.get('url', '')}>")
    for key, e in sorted(cache.read_log().items()):
        if not e["ok"]:
            lines.append(f"failed  {key:40} at {e['at'][:19]}: {e['message']}")
    return lines or ["cache empty: run `ivb fetch --municipality GM1969` (needs internet)"]


__all__ = ["fetch", "FetchReport", "status_lines", "now"]
