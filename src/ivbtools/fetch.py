"""`ivb fetch`: download every figure the targets need into the cache, offline afterwards.

Police and CBS tables go through odata.py, road accidents through bron.py. A fetch is a
transaction per source and area: the response is downloaded into a staging folder, validated
in full (columns, keys, periods, row shapes, zip layout), turned into a tidy extract that is
validated like any observations CSV, and only then renamed into the cache; the index entry is
replaced last. A bad response leaves the previous entry untouched and usable, and the next
fetch against a healthy server works without --refresh. One source failing never stops the
others; each failure is one line, logged in data/fetch-log.json.

Codes are checked against data/municipalities.csv before anything is downloaded. The cache
knows which years each entry holds; a later fetch that asks for more completes it.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import atomic, bron, odata
from .cache import PANEL, Cache, now
from .errors import IvbError
from .municipalities import load_municipalities
from .observations import REQUIRED_COLUMNS, read_observation_csv
from .registry import Source, load_indicators
from .yamlio import read_yaml

SOURCE_TIMEOUT = 300.0   # seconds for one source (all its requests), besides the per-request timeout


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

    def fail(self, cache: Cache, source: str, areas, message: str) -> None:
        for a in areas:
            cache.log(source, a, False, message)
            self.outcomes.append(Outcome(source, a, False, message))


def _source(entry: dict) -> Source:
    return Source(id=entry["id"], kind=entry["kind"], publisher=entry["publisher"], title=entry["title"],
                  document=entry.get("document", ""), url=entry.get("url"), retrieved=entry["retrieved"],
                  note=entry.get("note", ""))


def _stage_extract(stage: Path, data_dir: Path, name: str, rows: list[dict], entry: dict, municipalities) -> Path:
    """Write the tidy rows into the staging folder and validate them exactly as any observations CSV."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REQUIRED_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path = stage / name
    atomic.write_text(path, buf.getvalue())
    read_observation_csv(path, load_indicators(data_dir / "indicators.yaml"), {entry["id"]: _source(entry)}, "cache",
                         municipalities)
    return path


def _cached_outcome(cache: Cache, source: str, area: str) -> Outcome:
    """A verified cache entry that holds what was asked: nothing to download; an earlier failed
    attempt for it is cleared from the log (the cache is in a good state)."""
    e = cache.entry(source, area) or {}
    if not cache.read_log().get(f"{source}:{area}", {}).get("ok", True):
        cache.log(source, area, True, f"cached entry verified ({e.get('table_id', '')})")
    return Outcome(source, area, True, f"{e.get('table_id', '')}: {e.get('figures', 0)} figures (cached, retrieved "
                                       f"{str(e.get('retrieved_at', ''))[:10]})", int(e.get("figures", 0)), True)


def _years_needed(cache, key: str, areas: list[str], status: dict[str, str], years) -> list[int] | None:
    """The years to download: those asked for, plus those an entry that lacks some already holds
    (so the cache is completed, never narrowed); None: every year."""
    if years is None:
        return None
    need = set(years)
    for a in areas:
        if status[a] == "years missing":
            need |= set((cache.entry(key, a) or {}).get("years") or [])
    return sorted(need)


def _commit_odata(cache, data_dir, stage, spec, ref, area, payload, raw, rows, sid, entry, need, retrieved,
                  municipalities, report, sources, extra_meta) -> dict | None:
    """Validate the tidy rows as any observations CSV, then put raw answer, metadata, extract and
    index entry in place (in that order); None (and one failure line) when they do not validate."""
    try:
        extract = _stage_extract(stage, data_dir, f"x-{area}.csv", rows, entry, municipalities)
    except IvbError as exc:
        report.fail(cache, spec.key, [area], f"table {ref.id}: the answer does not validate ({exc}); cache kept")
        return None
    raw_file = stage / f"{area}.json"
    atomic.write_text(raw_file, json.dumps(payload, ensure_ascii=False))
    meta = cache.adopt_raw(spec.key, f"{area}.json", raw_file, {
        "url": raw["url"], "pages": raw["pages"], "table_id": ref.id, "title": ref.title, "modified": ref.modified,
        "resolved_by": ref.resolved_by, "area": area, "years": need, "periods": raw["periods"],
        "retrieved_at": retrieved, **extra_meta})
    cache.commit_extract(spec.key, area, extract, cache.extract_path(spec.key, ref.id, area), {
        "raw": f"{area}.json", "table_id": ref.id, "years": need, "source_id": sid,
        "retrieved_at": retrieved, "figures": len(rows)})
    sources[sid] = entry
    cache.log(spec.key, area, True, f"{len(rows)} figures from table {ref.id}")
    return meta


def _odata_spec_fetch(cache, data_dir, spec, areas, years, refresh, budget, report, sources, municipalities):
    status = {a: ("refresh" if refresh else cache.entry_status(spec.key, a, years)) for a in areas}
    todo = [a for a in areas if status[a] != "ok"]
    if todo:
        need = _years_needed(cache, spec.key, todo, status, years)
        stage = cache.staging()
        try:
            try:
                ref = odata.resolve_table(spec, budget)
                raw = odata.download(spec, ref, todo, need, budget)
                odata.validate_rows(spec, raw, ref.id)
            except IvbError as exc:
                report.fail(cache, spec.key, todo, str(exc))
                todo = []
            retrieved = now()
            for a in todo:
                part = {"table": ref.__dict__, "regions": {a: raw["regions"][a]},
                        "rows": [r for r in raw["rows"] if str(r["RegioS"]).strip() == a]}
                sid, entry = odata.source_entry(spec, ref, retrieved)
                rows = odata.tidy_rows(spec, part, sid)
                if not rows:
                    report.fail(cache, spec.key, [a], f"table {ref.id}: no figures for {a} in the years asked for — "
                                                      f"the cache entry is kept")
                    continue
                meta = _commit_odata(cache, data_dir, stage, spec, ref, a, part, raw, rows, sid, entry, need, retrieved,
                                     municipalities, report, sources, {})
                if meta is not None:
                    report.outcomes.append(Outcome(spec.key, a, True, f"table {ref.id}: {len(rows)} figures, "
                                                                      f"{meta['bytes']:,} bytes", len(rows)))
        finally:
            cache.remove_staging(stage)
    for a in areas:
        if a not in todo and status[a] == "ok":
            report.outcomes.append(_cached_outcome(cache, spec.key, a))


def _bron_counts(cache: Cache, name: str, member: str, meta: dict) -> bron.BronCounts:
    """Counts of the cached zip (`meta`: its verified metadata): read from the counts file when it
    belongs to this zip's sha256."""
    payload = cache.read_counts("bron", name, meta["sha256"])
    if payload is not None:
        return bron.counts_from_json(payload)
    counts = bron.count_accidents(cache.raw_path("bron", name), member)
    cache.write_counts("bron", name, bron.counts_to_json(counts, meta["sha256"]))
    return counts


def _bron_fetch(cache, data_dir, cfg, areas, years, refresh, budget, quiet, report, sources, municipalities):
    base = (os.environ.get(cfg.get("env") or "", "") or cfg["base_url"]).rstrip("/")
    member = cfg.get("member", bron.MEMBER)
    wanted = sorted((p for p in cfg["periods"] if not years or (p["first"] <= max(years) and p["last"] >= min(years))),
                    key=lambda p: (p["last"], p["first"]))   # the newest period file is committed last and wins
    if not wanted:
        span = f"{years[0]}–{years[-1]}" if years else "any year"
        report.fail(cache, "bron", areas, f"no BRON period file covers {span} — add one to data/live.yaml (bron.periods)")
        return
    for period in wanted:
        name = period["file"]
        try:
            cached_meta = cache.verified_raw("bron", name)   # hashes the zip once
            cached_ok = not refresh
        except Exception:
            cached_ok = False
        stage = cache.staging()
        try:
            if cached_ok:
                try:
                    counts = _bron_counts(cache, name, member, cached_meta)
                except IvbError:
                    cached_ok = False
            if not cached_ok:
                part = stage / name
                try:
                    info = bron.download(f"{base}/{name}", part, budget, quiet)
                    counts = bron.count_accidents(part, member)   # validates layout and every row before adoption
                except IvbError as exc:
                    report.fail(cache, "bron", areas, str(exc) + " (cache kept)")
                    continue
                meta = cache.adopt_raw("bron", name, part, {
                    "url": info["url"], "table_id": f"BRON {name}", "title": cfg["publisher"], "modified": "",
                    "last_modified": info["last_modified"], "period": [period["first"], period["last"]]})
                cache.write_counts("bron", name, bron.counts_to_json(counts, meta["sha256"]))
            meta = cache.read_meta("bron", name)
            day = meta["retrieved_at"][:10]
            sid = f"bron-{name.removesuffix('.zip')}-{day.replace('-', '')}"
            entry = {"id": sid, "kind": "official_table", "publisher": cfg["publisher"],
                     "title": f"BRON verkeersongevallen {period['first']}-{period['last']} ({name}), geteld per gemeente en jaar",
                     "url": meta["url"], "document": f"{name}: {member}", "retrieved": day,
                     "note": f"Counted by ivbtools from {counts.rows} accident records ({counts.unmapped} without a "
                             f"municipality: counted nationally only); sha256 {meta['sha256'][:12]}…; "
                             f"Last-Modified {meta.get('last_modified') or 'not sent'}."}
            for a in areas:
                e = cache.entry("bron", a)
                if cached_ok and e and e.get("raw") == name and e.get("raw_sha256") == meta["sha256"] \
                        and cache.entry_status("bron", a, None, check_raw=False) == "ok":
                    report.outcomes.append(_cached_outcome(cache, "bron", a))
                    sources[sid] = entry   # same zip retrieval (raw_sha256 matched), so the same source id
                    continue
                if a == PANEL:
                    rows, dropped = _current_only(bron.tidy_rows(counts, list(municipalities.by_code) + ["NL01"], None, sid)
                                                  + _former_rows(counts, municipalities, sid), municipalities)
                    entry = {**entry, "note": entry["note"] + _dropped_note(dropped, municipalities)}
                else:
                    rows = bron.tidy_rows(counts, [a], None, sid)
                if a not in ("NL01", PANEL) and not rows:
                    report.fail(cache, "bron", [a], f"BRON {name}: no accidents with GME_ID {a[2:]} — check the municipality code")
                    continue
                extract = _stage_extract(stage, data_dir, f"x-{a}.csv", rows, entry, municipalities)
                cache.commit_extract("bron", a, extract, cache.extract_path("bron", name.removesuffix(".zip"), a), {
                    "raw": name, "raw_sha256": meta["sha256"], "table_id": f"BRON {name}", "years": None,
                    "source_id": sid, "retrieved_at": meta["retrieved_at"], "figures": len(rows)})
                sources[sid] = entry
                cache.log("bron", a, True, f"{len(rows)} figures from {name}")
                report.outcomes.append(Outcome("bron", a, True, f"{name} ({meta.get('bytes', 0):,} bytes, {counts.rows:,} "
                                                                f"accidents): {len(rows)} figures"
                                               + ("" if not cached_ok else f" (counts cached, retrieved {day})"),
                                               len(rows), cached_ok))
        finally:
            cache.remove_staging(stage)


def _former_rows(counts: bron.BronCounts, municipalities, sid: str) -> list[dict]:
    """BRON rows under GME_IDs that are not current municipalities (kept only to be counted)."""
    former = sorted({a for a, _ in counts.by_area_year if a.startswith("GM") and a not in municipalities})
    return bron.tidy_rows(counts, former, None, sid) if former else []


def _current_only(rows: list[dict], municipalities) -> tuple[list[dict], dict[str, int]]:
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


def _dropped_note(dropped: dict[str, int], municipalities) -> str:
    if not dropped:
        return ""
    pseudo = sorted(a for a in dropped if getattr(municipalities.others.get(a), "kind", "") == "pseudo")
    former = sorted(a for a in dropped if a not in pseudo)
    notes = []
    if former:
        some = ", ".join(former[:5]) + (", …" if len(former) > 5 else "")
        notes.append(f" {sum(dropped[a] for a in former)} figures for {len(former)} former municipalities ({some}) are "
                     f"not kept: the panel compares municipalities on current boundaries (data/municipalities.csv).")
    if pseudo:
        notes.append(f" {sum(dropped[a] for a in pseudo)} figures under {', '.join(pseudo)} (registrations without a "
                     f"municipality, not municipalities) are not kept.")
    return "".join(notes)


def _former_seen(rows: list[dict], regions: dict[str, str], municipalities) -> dict[str, dict]:
    """Former municipalities in a table's answer: GM codes that are neither current nor pseudo,
    with their name and the last year with a figure (for one line about such a code)."""
    out: dict[str, dict] = {}
    for r in rows:
        a = r["area_code"]
        if a.startswith("GM") and a not in municipalities and a not in municipalities.others:
            e = out.setdefault(a, {"name": regions.get(a, r.get("area_name", a)), "last_year": 0})
            e["last_year"] = max(e["last_year"], int(r["year"]))
    return out


def _odata_panel_fetch(cache, data_dir, spec, years, refresh, budget, report, sources, municipalities):
    """One filtered, paged query for every municipality and NL01; one cache entry (area ALL)."""
    status = "refresh" if refresh else cache.entry_status(spec.key, PANEL, years)
    if status == "ok":
        report.outcomes.append(_cached_outcome(cache, spec.key, PANEL))
        return
    need = _years_needed(cache, spec.key, [PANEL], {PANEL: status}, years)
    stage = cache.staging()
    try:
        try:
            ref = odata.resolve_table(spec, budget)
            first = len(budget.urls)
            raw = odata.download(spec, ref, None, need, budget)
            odata.validate_rows(spec, raw, ref.id)
        except IvbError as exc:
            report.fail(cache, spec.key, [PANEL], str(exc))
            return
        retrieved = now()
        sid, entry = odata.source_entry(spec, ref, retrieved)
        tidy = odata.tidy_rows(spec, raw, sid)
        rows, dropped = _current_only(tidy, municipalities)
        former = _former_seen(tidy, raw["regions"], municipalities)
        n_areas = len({r["area_code"] for r in rows if r["area_code"] != "NL01"})
        missing_measures = sorted(set(spec.optional_measures) - set(raw["extra_measures"]))
        entry["note"] += _dropped_note(dropped, municipalities) + (
            f" Not in this table: {', '.join(missing_measures)} (optional)." if missing_measures else "")
        entry["title"] += f", alle gemeenten ({n_areas})"
        if not n_areas:
            report.fail(cache, spec.key, [PANEL], f"table {ref.id}: no figures for any current municipality — cache kept")
            return
        data_requests = len([u for u in budget.urls[first:] if "/TypedDataSet" in u])
        meta = _commit_odata(cache, data_dir, stage, spec, ref, PANEL, {"table": ref.__dict__, **raw}, raw, rows, sid,
                             entry, need, retrieved, municipalities, report, sources,
                             {"municipalities": n_areas, "dropped_former": dropped})
        if meta is None:
            return
        if former:
            cache.merge_former(former)
        report.outcomes.append(Outcome(spec.key, PANEL, True, f"table {ref.id}: {len(rows):,} figures for {n_areas} "
                                                              f"municipalities and NL01 in {data_requests} data requests, "
                                                              f"{meta['bytes']:,} bytes", len(rows)))
    finally:
        cache.remove_staging(stage)


def _run_sources(data_dir: Path, areas: list[str], only, quiet: bool, timeout: float, source_timeout: float,
                 odata_step, bron_step) -> FetchReport:
    """Each source of data/live.yaml in turn, with its own time budget; one source failing
    (an IvbError, or a full disk) fails only its areas not yet done; source entries last."""
    cfg = read_yaml(data_dir / "live.yaml")
    cache = Cache(data_dir)
    atomic.check_writable(cache.root)
    report, sources = FetchReport(), {}
    specs = [odata.TableSpec.from_yaml(d) for d in cfg.get("odata", [])]
    steps = [s for s in specs if not only or s.key in only] + ([cfg["bron"]] if cfg.get("bron") and (not only or "bron" in only) else [])
    for step in tqdm(steps, desc="sources", unit="table", disable=True if quiet else None, leave=False):
        key = step.key if isinstance(step, odata.TableSpec) else "bron"
        budget = odata.Budget.start(timeout, source_timeout, key)
        try:
            if isinstance(step, odata.TableSpec):
                odata_step(cache, step, budget, report, sources)
            else:
                bron_step(cache, step, budget, report, sources)
        except (IvbError, OSError) as exc:   # OSError: a full disk or a permission problem while writing
            done = {o.area for o in report.outcomes if o.source == key}
            why = f"{exc} (cache kept)" if isinstance(exc, IvbError) else \
                f"{key}: cannot write the cache ({exc.strerror}); the previous entries are kept"
            report.fail(cache, key, [a for a in areas if a not in done], why)
    if sources:
        cache.write_sources(sources)
    return report


def fetch_panel(data_dir: Path, years: list[int] | None = None, refresh: bool = False, quiet: bool = False,
                timeout: float = 30.0, only: set[str] | None = None, source_timeout: float = SOURCE_TIMEOUT) -> FetchReport:
    """`ivb fetch --all-municipalities`: every municipality and the Netherlands, one filtered
    and paged query per table (never one per municipality), the BRON zip counted for all; the
    same staging, validation and index rules as a fetch for one municipality."""
    data_dir = Path(data_dir)
    codes = load_municipalities(data_dir)
    if codes is None:
        raise IvbError(f"{data_dir}/municipalities.csv not found — the panel needs the municipality code list")
    return _run_sources(
        data_dir, [PANEL], only, quiet, timeout, source_timeout,
        lambda cache, spec, budget, report, sources: _odata_panel_fetch(cache, data_dir, spec, years, refresh, budget,
                                                                        report, sources, codes),
        lambda cache, cfg, budget, report, sources: _bron_fetch(cache, data_dir, cfg, [PANEL], years, refresh, budget,
                                                                quiet, report, sources, codes))


def fetch(data_dir: Path, municipalities: list[str], years: list[int] | None = None, refresh: bool = False,
          quiet: bool = False, timeout: float = 30.0, only: set[str] | None = None,
          source_timeout: float = SOURCE_TIMEOUT) -> FetchReport:
    data_dir = Path(data_dir)
    codes = load_municipalities(data_dir)
    if codes is not None:
        for c in municipalities:
            codes.check(c)   # before anything is downloaded: one line, nothing logged
    areas = list(dict.fromkeys(list(municipalities) + ["NL01"]))
    return _run_sources(
        data_dir, areas, only, quiet, timeout, source_timeout,
        lambda cache, spec, budget, report, sources: _odata_spec_fetch(cache, data_dir, spec, areas, years, refresh,
                                                                       budget, report, sources, codes),
        lambda cache, cfg, budget, report, sources: _bron_fetch(cache, data_dir, cfg, areas, years, refresh, budget,
                                                                quiet, report, sources, codes))


def status_lines(data_dir: Path) -> list[str]:
    """What is cached, from where, retrieved when; damaged entries; failed attempts (for `ivb sources`)."""
    cache = Cache(data_dir)
    lines = []
    for m in cache.all_meta():
        if m.get("damaged"):
            continue
        lines.append(f"cached  {m['file']:40} {m.get('table_id', ''):12} retrieved {m.get('retrieved_at', '')[:19]}  "
                     f"{m.get('bytes', 0):>10} B  {m.get('title', '')}  <{m.get('url', '')}>")
    for line in cache.damaged_lines():
        lines.append(f"DAMAGED {line}")
    for key, e in sorted(cache.read_log().items()):
        if not e.get("ok", True):
            lines.append(f"failed  {key:40} at {str(e.get('at', ''))[:19]}: {e.get('message', '')}")
    return lines or ["cache empty: run `ivb fetch --municipality GM1969` (needs internet)"]


__all__ = ["fetch", "fetch_panel", "FetchReport", "status_lines", "now"]
