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
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .. import atomic
from ..data.cache import PANEL, Cache, now
from ..data.months import month_gaps, months_csv, read_months_csv
from ..data.municipalities import Municipalities, load_municipalities
from ..data.observations import REQUIRED_COLUMNS, read_observation_csv
from ..data.registry import Source, load_indicators
from ..errors import IvbError
from ..fmt import nl_int
from ..yamlio import read_yaml
from . import bron, odata, web
from .web import Budget

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


@dataclass
class Answer:
    """One table's validated answer, with how it was found and how it is cited."""
    spec: odata.TableSpec
    ref: odata.TableRef
    raw: dict
    sid: str
    entry: dict
    need: list[int] | None
    retrieved: str


def _source(entry: dict) -> Source:
    return Source(id=entry["id"], kind=entry["kind"], publisher=entry["publisher"], title=entry["title"],
                  document=entry.get("document", ""), url=entry.get("url"), retrieved=entry["retrieved"],
                  note=entry.get("note", ""))


def _stage_extract(stage: Path, data_dir: Path, name: str, rows: list[dict], entries: dict[str, dict],
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
                         {sid: _source(e) for sid, e in entries.items()}, "cache", municipalities)
    return path


def _stage_months(stage: Path, data_dir: Path, area: str, rows: list[dict], entries: dict[str, dict]) -> Path | None:
    """The monthly figures of one area into the staging folder, validated (None: the table has none
    or the spec does not ask for them)."""
    if not rows:
        return None
    path = stage / f"m-{area}.csv"
    atomic.write_text(path, months_csv(rows))
    read_months_csv(path, load_indicators(data_dir / "indicators.yaml"), {sid: _source(e) for sid, e in entries.items()})
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


def _commit_odata(run: FetchRun, stage: Path, ans: Answer, area: str, payload: dict, rows: list[dict],
                  extra_meta: dict) -> dict | None:
    """Validate the tidy rows as any observations CSV, then put raw answer, metadata, extract and
    index entry in place (in that order); None (and one failure line) when they do not validate."""
    cache, spec, ref, raw, sid, need, retrieved = run.cache, ans.spec, ans.ref, ans.raw, ans.sid, ans.need, ans.retrieved
    try:
        extract = _stage_extract(stage, run.data_dir, f"x-{area}.csv", rows, {ans.sid: ans.entry}, run.municipalities) \
            if spec.yearly else None
        months = _stage_months(stage, run.data_dir, area, odata.tidy_months(spec, payload, sid), {ans.sid: ans.entry})
    except IvbError as exc:
        run.fail(spec.key, [area], f"table {ref.id}: the answer does not validate ({exc}); cache kept")
        return None
    raw_file = stage / f"{area}.json"
    atomic.write_text(raw_file, json.dumps(payload, ensure_ascii=False))
    meta = cache.adopt_raw(spec.key, f"{area}.json", raw_file, {
        "url": raw["url"], "pages": raw["pages"], "table_id": ref.id, "title": ref.title, "modified": ref.modified,
        "resolved_by": ref.resolved_by, "frequency": ref.frequency, "area": area, "years": need,
        "periods": raw["periods"], "partial_years": raw["partial_years"], "provisional_years": raw["provisional_years"],
        "retrieved_at": retrieved, **extra_meta})
    cache.commit_extract(spec.key, area, extract, cache.extract_path(spec.key, ref.id, area), {
        "raw": f"{area}.json", "table_id": ref.id, "years": need, "source_id": sid,
        "retrieved_at": retrieved, "figures": len(rows), "partial_years": sorted(raw["partial_years"]),
        "monthly": bool(spec.months and "month_rows" in payload), "months_only": not spec.yearly},
        months=(months, cache.months_path(spec.key, ref.id, area)) if months else None)
    run.sources[sid] = ans.entry
    cache.log(spec.key, area, True, f"{len(rows) if spec.yearly else len(payload['month_rows'])} "
                                    f"{'figures' if spec.yearly else 'monthly figures'} from table {ref.id}")
    return meta


def _first_fitting_download(spec: odata.TableSpec, areas: list[str] | None, years, budget,
                            cache: Cache | None = None) -> tuple[odata.TableRef, dict]:
    """Download from the first table that fits (the known id, else a configured successor or the
    catalogue's best match; a discontinued or frozen table last); a download that fails falls back
    to the next fitting table. When every one fails, the first failure is the one reported."""
    first: IvbError | None = None
    tables = odata.tables_to_try(spec, budget)
    while True:
        try:
            ref = next(tables)
        except StopIteration:
            raise first or IvbError(f"{spec.key}: no table fits data/live.yaml") from None
        except IvbError as exc:
            if first is not None and "time limit" not in str(exc):
                raise first from None
            raise
        try:
            raw = odata.download(spec, ref, areas, years, budget)
            odata.validate_rows(spec, raw, ref.id)
            return ref, raw
        except (odata.CodeError, web.Unreachable):
            raise
        except IvbError as exc:
            if "time limit" in str(exc):
                raise
            first = first or exc


def _period_note(raw: dict) -> str:
    """Partial and provisional years of an answer, for the fetch's one-line outcome."""
    notes = []
    if raw.get("partial_years"):
        notes.append("left out, not a whole year yet: " + ", ".join(f"{y} ({lbl})" for y, lbl in sorted(raw["partial_years"].items())))
    if raw.get("provisional_years"):
        notes.append("provisional: " + ", ".join(map(str, raw["provisional_years"])))
    return ("; " + "; ".join(notes)) if notes else ""


def _months_note(part: dict) -> str:
    keys = sorted(str(r["Perioden"]).strip() for r in part.get("month_rows", []))
    return f"; {len(keys)} monthly figures up to {keys[-1][:4]}-{keys[-1][-2:]}" if keys else ""


def _odata_spec_fetch(run: FetchRun, spec: odata.TableSpec, areas: list[str], budget: Budget) -> None:
    cache, report, years = run.cache, run.report, run.years
    status = {a: ("refresh" if run.refresh else cache.entry_status(spec.key, a, years)) for a in areas}
    for a in areas:   # an entry made before the spec asked for months (an older ivb): fetch it again
        if spec.months and status[a] == "ok" and not (cache.entry(spec.key, a) or {}).get("monthly"):
            status[a] = "monthly figures not fetched yet"
    todo = [a for a in areas if status[a] != "ok"]
    if todo and spec.host in report.unreachable:   # an earlier source found the host unreachable
        report.fail(cache, spec.key, todo, report.unreachable[spec.host])
        todo = []
    if todo:
        need = _years_needed(cache, spec.key, todo, status, years)
        stage = cache.staging()
        try:
            try:
                ref, raw = _first_fitting_download(spec, todo, need, budget, cache)
            except IvbError as exc:
                if isinstance(exc, web.Unreachable):
                    report.unreachable[spec.host] = str(exc)
                report.fail(cache, spec.key, todo, str(exc))
                todo = []
            retrieved = now()
            for a in todo:
                part = {**{k: v for k, v in raw.items() if k not in ("rows", "regions", "month_rows")},
                        "table": ref.provenance(), "regions": {a: raw["regions"][a]},
                        "rows": [r for r in raw["rows"] if str(r["RegioS"]).strip() == a],
                        "month_rows": [r for r in raw.get("month_rows", []) if str(r["RegioS"]).strip() == a]}
                sid, entry = odata.source_entry(spec, ref, retrieved, raw)
                rows = odata.tidy_rows(spec, part, sid)
                if not rows and (spec.yearly or not odata.tidy_months(spec, part, sid)):
                    report.fail(cache, spec.key, [a], f"table {ref.id}: no figures for {a} in the years asked for — "
                                                      f"the cache entry is kept")
                    continue
                for (ind, area, year), gap in month_gaps(odata.tidy_months(spec, part, sid)).items():
                    report.note(f"{spec.key}: {area} {ind}: the monthly figures of {year} lack "
                                f"{', '.join(odata.MONTHS_NL[m - 1] for m in gap)} — no year to date for it until they "
                                f"are published (fetch again later)")
                meta = _commit_odata(run, stage, Answer(spec, ref, raw, sid, entry, need, retrieved), a, part, rows, {})
                if meta is not None:
                    report.outcomes.append(Outcome(spec.key, a, True, f"table {ref.id}: "
                                                                      + (f"{len(rows)} figures, " if spec.yearly else "")
                                                                      + f"{meta['bytes']:,} bytes" + _period_note(raw) + _months_note(part),
                                                   len(rows)))
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
                report.outcomes.append(_cached_outcome(cache, "bron", a))
                sources.update({f.sid: f.entry for f in got})
                continue
            if a == PANEL:
                rows, dropped = _current_only(bron.tidy_rows(combined, list(municipalities.by_code) + ["NL01"], None, "")
                                              + _former_rows(combined, municipalities, ""), municipalities)
            else:
                rows, dropped = bron.tidy_rows(combined, [a], None, ""), {}
            rows = [{**r, "source_id": sid_of[r["year"]]} for r in rows]
            if a not in ("NL01", PANEL) and not rows:
                report.fail(cache, "bron", [a], f"{label}: no accidents with GME_ID {a[2:]} — check the municipality code")
                continue
            entries = {f.sid: ({**f.entry, "note": f.entry["note"] + _dropped_note(dropped, municipalities)}
                               if a == PANEL else f.entry) for f in got}
            extract = _stage_extract(stage, run.data_dir, f"x-{a}.csv", rows, entries, municipalities)
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
        notes.append(f" {sum(dropped[a] for a in former)} cijfers van {len(former)} voormalige gemeenten ({some}) zijn "
                     f"niet bewaard: de vergelijking gebruikt de huidige gemeentegrenzen (data/municipalities.csv).")
    if pseudo:
        notes.append(f" {sum(dropped[a] for a in pseudo)} cijfers onder {', '.join(pseudo)} (registraties zonder "
                     f"gemeente, geen gemeenten) zijn niet bewaard.")
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


def _odata_panel_fetch(run: FetchRun, spec: odata.TableSpec, budget: Budget) -> None:
    """One filtered, paged query for every municipality and NL01; one cache entry (area ALL)."""
    if not spec.yearly:
        return   # a table read for one municipality's months only: nothing for the panel
    cache, report, years, municipalities = run.cache, run.report, run.years, run.municipalities
    status = "refresh" if run.refresh else cache.entry_status(spec.key, PANEL, years)
    if status == "ok":
        report.outcomes.append(_cached_outcome(cache, spec.key, PANEL))
        return
    need = _years_needed(cache, spec.key, [PANEL], {PANEL: status}, years)
    stage = cache.staging()
    try:
        if spec.host in report.unreachable:
            report.fail(cache, spec.key, [PANEL], report.unreachable[spec.host])
            return
        try:
            first = len(budget.urls)
            ref, raw = _first_fitting_download(spec, None, need, budget, cache)
        except IvbError as exc:
            if isinstance(exc, web.Unreachable):
                report.unreachable[spec.host] = str(exc)
            report.fail(cache, spec.key, [PANEL], str(exc))
            return
        retrieved = now()
        sid, entry = odata.source_entry(spec, ref, retrieved, raw)
        tidy = odata.tidy_rows(spec, raw, sid)
        rows, dropped = _current_only(tidy, municipalities)
        former = _former_seen(tidy, raw["regions"], municipalities)
        n_areas = len({r["area_code"] for r in rows if r["area_code"] != "NL01"})
        missing_measures = sorted((set(spec.optional_measures) | set(spec.class_measures))
                                  - set(raw["extra_measures"]) - set(raw["class_measures"]))
        entry["note"] += _dropped_note(dropped, municipalities) + (
            f" Not in this table: {', '.join(missing_measures)} (optional)." if missing_measures else "")
        entry["title"] += f", alle gemeenten ({n_areas})"
        if not n_areas:
            report.fail(cache, spec.key, [PANEL], f"table {ref.id}: no figures for any current municipality — cache kept")
            return
        data_requests = len([u for u in budget.urls[first:] if "/TypedDataSet" in u])
        meta = _commit_odata(run, stage, Answer(spec, ref, raw, sid, entry, need, retrieved), PANEL,
                             {"table": ref.provenance(), **raw}, rows, {"municipalities": n_areas, "dropped_former": dropped})
        if meta is None:
            return
        if former:
            cache.merge_former(former)
        report.outcomes.append(Outcome(spec.key, PANEL, True, f"table {ref.id}: {len(rows):,} figures for {n_areas} "
                                                              f"municipalities and NL01 in {data_requests} data requests, "
                                                              f"{meta['bytes']:,} bytes" + _period_note(raw), len(rows)))
    finally:
        cache.remove_staging(stage)


def _run_sources(run: FetchRun, areas: list[str], only, source_timeout: float, odata_step, bron_step) -> FetchReport:
    """Each source of data/live.yaml in turn, with its own time budget; one source failing
    (an IvbError, or a full disk) fails only its areas not yet done; source entries last."""
    cfg = read_yaml(run.data_dir / "live.yaml")
    atomic.check_writable(run.cache.root, "cache folder", "or run with --data DIR on a data folder you can write")
    specs = [odata.TableSpec.from_yaml(d) for d in cfg.get("odata", [])]
    run.report.indicators = {**{s.key: s.indicator_ids for s in specs}, "bron": list(bron.INDICATORS.values())}
    steps = [s for s in specs if not only or s.key in only] + ([cfg["bron"]] if cfg.get("bron") and (not only or "bron" in only) else [])
    for step in tqdm(steps, desc="sources", unit="table", disable=True if run.quiet else None, leave=False):
        key = step.key if isinstance(step, odata.TableSpec) else "bron"
        budget = Budget.start(run.timeout, source_timeout, key)
        try:
            if isinstance(step, odata.TableSpec):
                odata_step(run, step, budget)
            else:
                bron_step(run, step)
        except (IvbError, OSError) as exc:   # OSError: a full disk or a permission problem while writing
            done = {o.area for o in run.report.outcomes if o.source == key}
            why = f"{exc} (cache kept)" if isinstance(exc, IvbError) else \
                f"{key}: cannot write the cache ({exc.strerror}); the previous entries are kept"
            run.fail(key, [a for a in areas if a not in done], why)
        finally:
            for line, warn in budget.notes:
                run.report.note(f"{key}: {line}", warn)
    if run.sources:
        run.cache.write_sources(run.sources)
    return run.report


def fetch_panel(data_dir: Path, years: list[int] | None = None, refresh: bool = False, quiet: bool = False,
                timeout: float = 30.0, only: set[str] | None = None, source_timeout: float = SOURCE_TIMEOUT) -> FetchReport:
    """`ivb fetch --all-municipalities`: every municipality and the Netherlands, one filtered
    and paged query per table (never one per municipality), the BRON zip counted for all; the
    same staging, validation and index rules as a fetch for one municipality."""
    data_dir = Path(data_dir)
    codes = load_municipalities(data_dir)
    if codes is None:
        raise IvbError(f"{data_dir}/municipalities.csv not found — the panel needs the municipality code list")
    run = FetchRun(Cache(data_dir), data_dir, years, refresh, timeout, quiet, codes)
    return _run_sources(run, [PANEL], only, source_timeout, _odata_panel_fetch,
                        lambda run, cfg: _bron_fetch(run, cfg, [PANEL]))


def fetch(data_dir: Path, municipalities: list[str], years: list[int] | None = None, refresh: bool = False,
          quiet: bool = False, timeout: float = 30.0, only: set[str] | None = None,
          source_timeout: float = SOURCE_TIMEOUT) -> FetchReport:
    data_dir = Path(data_dir)
    codes = load_municipalities(data_dir)
    if codes is not None:
        for c in municipalities:
            codes.check(c)   # before anything is downloaded: one line, nothing logged
    areas = list(dict.fromkeys(list(municipalities) + ["NL01"]))
    run = FetchRun(Cache(data_dir), data_dir, years, refresh, timeout, quiet, codes)
    return _run_sources(run, areas, only, source_timeout,
                        lambda run, spec, budget: _odata_spec_fetch(run, spec, areas, budget),
                        lambda run, cfg: _bron_fetch(run, cfg, areas))


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
