"""The BRON source kind (data/live.yaml `bron:`, Rijkswaterstaat's registered road accidents): one
zip per year, counted per municipality and year, for the areas of a fetch or every municipality
at once; each year's file cited by its own source entry."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..data.cache import PANEL, Cache
from ..errors import IvbError
from ..fmt import nl_int
from . import bron, web
from .fetchrun import FetchRun, Outcome, cached_outcome, current_only, dropped_note, stage_extract
from .web import Budget


def _bron_counts(cache: Cache, name: str, member: str, meta: dict) -> bron.BronCounts:
    """Counts of the cached zip (`meta`: its verified metadata): read from the counts file when it
    belongs to this zip's sha256."""
    payload = cache.read_counts("bron", name, meta["sha256"])
    if payload is not None:
        try:
            return bron.counts_from_json(payload)
        except (KeyError, TypeError, ValueError):
            pass   # counted by an older reader, or damaged: count again
    counts = bron.count_accidents(cache.raw_path("bron", name), member)
    cache.write_counts("bron", name, bron.counts_to_json(counts, meta["sha256"]))
    return counts


BRON_PATTERN = "01-01-{year}_31-12-{year}.zip"
BRON_SECONDS_PER_FILE = 600.0


def bron_files(cfg: dict, years: list[int] | None, this_year: int | None = None) -> list[dict]:
    """The BRON files to read, oldest first: one per year from `file_pattern` (years from
    `first_year` up to last year, or those asked for), or the configured multi-year `periods`."""
    if cfg.get("periods"):
        files = [dict(p) for p in cfg["periods"] if not years or (p["first"] <= max(years) and p["last"] >= min(years))]
    else:
        last = (this_year or dt.date.today().year) - 1   # a year's file appears the year after
        ys = sorted(y for y in years if y <= last) if years else list(range(int(cfg.get("first_year", 2017)), last + 1))
        pattern = cfg.get("file_pattern", BRON_PATTERN)
        files = [{"file": pattern.format(year=y), "first": y, "last": y} for y in ys]
    return sorted(files, key=lambda p: (p["last"], p["first"]))


@dataclass
class _BronFile:
    period: dict
    counts: bron.BronCounts
    meta: dict
    sid: str
    entry: dict
    cached: bool
    failed: str = ""   # the download failed: this is the previously cached copy, kept


def _bron_file(run: FetchRun, cfg: dict, base: str, period: dict, member: str) -> _BronFile:
    """One BRON file, counted: the verified cached zip (counts cached by its sha256), else a
    download with its own time budget; a failed download falls back to the cached zip."""
    cache, name = run.cache, period["file"]
    try:
        cached_meta = cache.verified_raw("bron", name)   # hashes the zip once
    except Exception:
        cached_meta = None
    counts, cached, failed = None, False, ""
    if cached_meta is not None and not run.refresh:
        try:
            counts, cached = _bron_counts(cache, name, member, cached_meta), True
        except IvbError:
            counts = None
    if counts is None:
        budget = Budget.start(run.timeout, float(cfg.get("seconds_per_file", BRON_SECONDS_PER_FILE)), f"BRON {name}")
        stage = cache.staging()
        try:
            part = stage / name
            try:
                info = bron.download(f"{base}/{name}", part, budget, run.quiet)
                counts = bron.count_accidents(part, member)   # validates layout and every row before adoption
            except IvbError as exc:
                if cached_meta is None or isinstance(exc, web.Unreachable):
                    raise
                failed = str(exc)
                counts, cached = _bron_counts(cache, name, member, cached_meta), True   # keep the good copy
            else:
                meta = cache.adopt_raw("bron", name, part, {
                    "url": info["url"], "table_id": f"BRON {name}", "title": cfg["publisher"], "modified": "",
                    "last_modified": info["last_modified"], "period": [period["first"], period["last"]]})
                cache.write_counts("bron", name, bron.counts_to_json(counts, meta["sha256"]))
        finally:
            cache.remove_staging(stage)
    f = _bron_file_from(cache, cfg, period, member, counts)
    f.cached, f.failed = cached, failed
    return f


def _bron_file_from(cache, cfg, period, member, counts) -> _BronFile:
    name = period["file"]
    meta = cache.read_meta("bron", name)
    day = meta["retrieved_at"][:10]
    sid = f"bron-{name.removesuffix('.zip')}-{day.replace('-', '')}"
    span = str(period["first"]) if period["first"] == period["last"] else f"{period['first']}-{period['last']}"
    entry = {"id": sid, "kind": "official_table", "publisher": cfg["publisher"],
             "title": f"BRON verkeersongevallen {span} ({name}), geteld per gemeente en jaar",
             "url": meta["url"], "document": f"{name}: {member}", "retrieved": day,
             "note": f"Geteld door ivbtools uit {nl_int(counts.rows)} ongevalsregistraties ({nl_int(counts.unmapped)} zonder gemeente: "
                     f"alleen landelijk geteld); sha256 {meta['sha256'][:12]}…; Last-Modified "
                     f"{meta.get('last_modified') or 'niet meegestuurd'}." + _unpublished_nl(counts)}
    return _BronFile(period, counts, meta, sid, entry, True)


def _unpublished_nl(counts: bron.BronCounts) -> str:
    """The counts a BRON file does not publish, in Dutch, for the source's note."""
    names = {"casualties": "slachtoffers"}
    out = ""
    for what, years in counts.unpublished.items():
        cols = sorted({why.split()[0] for why in years.values()})
        out += (f" Geen cijfer voor {names.get(what, what)} in {', '.join(map(str, sorted(years)))}: de kolom "
                f"{', '.join(cols)} ontbreekt of is leeg in dit bestand (niet gepubliceerd; nooit als 0 geteld).")
    return out


def _cached_bron_file(cache, cfg, period, member) -> _BronFile | None:
    """The verified cached copy of a BRON file that could not be fetched (marked as such), or None."""
    try:
        meta = cache.verified_raw("bron", period["file"])
        f = _bron_file_from(cache, cfg, period, member, _bron_counts(cache, period["file"], member, meta))
    except Exception:
        return None
    f.failed = "the host cannot be reached"
    return f


def _bron_fetch(run: FetchRun, cfg: dict, areas: list[str]) -> None:
    cache, report, sources, years, municipalities = run.cache, run.report, run.sources, run.years, run.municipalities
    base = web.base_url(cfg)
    member = cfg.get("member", bron.MEMBER)
    files = bron_files(cfg, years)
    if not files:
        span = f"{years[0]}–{years[-1]}" if years else "any year"
        report.fail(cache, "bron", areas, f"no BRON file covers {span} — see data/live.yaml (bron)")
        return
    got: list[_BronFile] = []
    unreachable = ""
    for i, period in enumerate(files):
        if unreachable:   # the host cannot be reached: the other files would fail the same way
            cached = _cached_bron_file(cache, cfg, period, member)
            if cached is not None:
                got.append(cached)
            continue
        try:
            got.append(_bron_file(run, cfg, base, period, member))
        except web.Unreachable as exc:
            unreachable = str(exc)
            report.fail(cache, "bron", areas, unreachable)
            cached = _cached_bron_file(cache, cfg, period, member)
            if cached is not None:
                got.append(cached)
        except bron.NotPublished as exc:
            if i == len(files) - 1 and not cfg.get("periods"):   # the newest year: published the year after
                report.outcomes.append(Outcome("bron", "-", True, f"{period['file']}: not published yet (HTTP 404); "
                                                                  f"the years before are used"))
                continue
            report.fail(cache, "bron", areas, str(exc))
        except IvbError as exc:
            report.fail(cache, "bron", areas, str(exc))
    for f in got:
        if f.failed and not unreachable:
            report.fail(cache, "bron", areas, f"{f.failed} (the previous copy of {f.period['file']} is kept and used)")
        for line in bron.unpublished_lines(f.counts, f.period["file"]):
            report.note(f"bron: {line}")
    if not got or all(f.failed for f in got):
        return   # nothing new: every extract stays as it was
    # per year the newest file that covers it (files are sorted oldest first)
    combined, sid_of = bron.BronCounts(), {}
    for f in got:
        covered = set()
        for (a, y), c in f.counts.by_area_year.items():
            if f.period["first"] <= y <= f.period["last"]:
                combined.by_area_year[(a, y)] = c
                sid_of[y] = f.sid
                covered.add(y)
        for what in bron.NEEDS:   # the newest file of a year says whether that year's column is published
            for y in covered:
                why = f.counts.unpublished.get(what, {}).get(y)
                if why:
                    combined.unpublished.setdefault(what, {})[y] = why
                else:
                    combined.unpublished.get(what, {}).pop(y, None)
        combined.names.update({k: v for k, v in f.counts.names.items() if k not in combined.names})
        combined.rows += f.counts.rows
    raws = {f.period["file"]: f.meta["sha256"] for f in got}
    first, last = min(f.period["first"] for f in got), max(f.period["last"] for f in got)
    label = f"BRON {first}-{last}" if first != last else f"BRON {first}"
    stage = cache.staging()
    try:
        for a in areas:
            e = cache.entry("bron", a)
            if all(f.cached for f in got) and e and e.get("raws") == raws \
                    and cache.entry_status("bron", a, None, check_raw=False) == "ok":
                report.outcomes.append(cached_outcome(cache, "bron", a))
                sources.update({f.sid: f.entry for f in got})
                continue
            if a == PANEL:
                rows, dropped = current_only(bron.tidy_rows(combined, list(municipalities.by_code) + ["NL01"], None, "")
                                              + _former_rows(combined, municipalities, ""), municipalities)
            else:
                rows, dropped = bron.tidy_rows(combined, [a], None, ""), {}
            rows = [{**r, "source_id": sid_of[r["year"]]} for r in rows]
            if a not in ("NL01", PANEL) and not rows:
                report.fail(cache, "bron", [a], f"{label}: no accidents with GME_ID {a[2:]} — check the municipality code")
                continue
            entries = {f.sid: ({**f.entry, "note": f.entry["note"] + dropped_note(dropped, municipalities)}
                               if a == PANEL else f.entry) for f in got}
            extract = stage_extract(stage, run.data_dir, f"x-{a}.csv", rows, entries, municipalities)
            cache.commit_extract("bron", a, extract, cache.extract_path("bron", f"{first}-{last}", a), {
                "raw": got[-1].period["file"], "raws": raws, "table_id": label, "years": None,
                "source_id": got[-1].sid, "source_ids": sorted(entries), "retrieved_at": got[-1].meta["retrieved_at"],
                "figures": len(rows)})
            sources.update(entries)
            cache.log("bron", a, True, f"{len(rows)} figures from {len(got)} BRON file(s)")
            n_acc = sum(f.counts.rows for f in got)
            report.outcomes.append(Outcome("bron", a, True, f"{label}: {len(got)} file(s), {n_acc:,} accidents"
                                           + (" (counts cached)" if all(f.cached for f in got) else "")
                                           + f": {len(rows)} figures", len(rows), all(f.cached for f in got)))
    finally:
        cache.remove_staging(stage)


def _former_rows(counts: bron.BronCounts, municipalities, sid: str) -> list[dict]:
    """BRON rows under GME_IDs that are not current municipalities (kept only to be counted)."""
    former = sorted({a for a, _ in counts.by_area_year if a.startswith("GM") and a not in municipalities})
    return bron.tidy_rows(counts, former, None, sid) if former else []


class BronSource:
    """data/live.yaml `bron:` as a source plug-in (live/fetch.py SOURCE_KINDS)."""
    key = "bron"
    indicator_ids = list(bron.INDICATORS.values())

    def __init__(self, cfg: dict):
        self.cfg = cfg

    @classmethod
    def from_config(cls, section) -> list[BronSource]:
        return [cls(section)] if section else []

    def fetch(self, run: FetchRun, areas: list[str], budget: Budget) -> None:
        _bron_fetch(run, self.cfg, areas)

    def fetch_panel(self, run: FetchRun, budget: Budget) -> None:
        _bron_fetch(run, self.cfg, [PANEL])
