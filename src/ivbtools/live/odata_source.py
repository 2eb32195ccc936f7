"""The OData v3 source kind (data/live.yaml `odata:`, police and CBS tables): for the areas of a
fetch, or every municipality at once (the panel), download from the first table that fits,
validate, stage the tidy extract and commit it to the cache; cite the table it came from."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import atomic
from ..data.cache import PANEL, Cache, now
from ..data.months import month_gaps
from ..errors import IvbError
from . import odata, web
from .fetchrun import FetchRun, Outcome, cached_outcome, current_only, dropped_note, former_seen, stage_extract, stage_months, years_needed
from .web import Budget


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


def _commit_odata(run: FetchRun, stage: Path, ans: Answer, area: str, payload: dict, rows: list[dict],
                  extra_meta: dict) -> dict | None:
    """Validate the tidy rows as any observations CSV, then put raw answer, metadata, extract and
    index entry in place (in that order); None (and one failure line) when they do not validate."""
    cache, spec, ref, raw, sid, need, retrieved = run.cache, ans.spec, ans.ref, ans.raw, ans.sid, ans.need, ans.retrieved
    try:
        extract = stage_extract(stage, run.data_dir, f"x-{area}.csv", rows, {ans.sid: ans.entry}, run.municipalities) \
            if spec.yearly else None
        months = stage_months(stage, run.data_dir, area, odata.tidy_months(spec, payload, sid), {ans.sid: ans.entry})
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
        need = years_needed(cache, spec.key, todo, status, years)
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
            report.outcomes.append(cached_outcome(cache, spec.key, a))


def _odata_panel_fetch(run: FetchRun, spec: odata.TableSpec, budget: Budget) -> None:
    """One filtered, paged query for every municipality and NL01; one cache entry (area ALL)."""
    if not spec.yearly:
        return   # a table read for one municipality's months only: nothing for the panel
    cache, report, years, municipalities = run.cache, run.report, run.years, run.municipalities
    status = "refresh" if run.refresh else cache.entry_status(spec.key, PANEL, years)
    if status == "ok":
        report.outcomes.append(cached_outcome(cache, spec.key, PANEL))
        return
    need = years_needed(cache, spec.key, [PANEL], {PANEL: status}, years)
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
        rows, dropped = current_only(tidy, municipalities)
        former = former_seen(tidy, raw["regions"], municipalities)
        n_areas = len({r["area_code"] for r in rows if r["area_code"] != "NL01"})
        missing_measures = sorted((set(spec.optional_measures) | set(spec.class_measures))
                                  - set(raw["extra_measures"]) - set(raw["class_measures"]))
        entry["note"] += dropped_note(dropped, municipalities) + (
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


class OdataSource:
    """One table of data/live.yaml `odata:` as a source plug-in (live/fetch.py SOURCE_KINDS)."""

    def __init__(self, spec: odata.TableSpec):
        self.spec = spec
        self.key = spec.key
        self.indicator_ids = spec.indicator_ids

    @classmethod
    def from_config(cls, section) -> list[OdataSource]:
        return [cls(odata.TableSpec.from_yaml(d)) for d in section or []]

    def fetch(self, run: FetchRun, areas: list[str], budget: Budget) -> None:
        _odata_spec_fetch(run, self.spec, areas, budget)

    def fetch_panel(self, run: FetchRun, budget: Budget) -> None:
        _odata_panel_fetch(run, self.spec, budget)
