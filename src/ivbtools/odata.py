"""Provider for CBS-style OData v3 tables (police open data, CBS), through `cbsodata`.

For each table spec in data/live.yaml: resolve the current table id from the catalogue
(title search, verified by its DataProperties; the known id as fallback), then download the
rows for one region and the wanted categories, strip the padded keys, and write a tidy
extract with provenance (table id, title, Modified date, retrieval time).
"""
from __future__ import annotations

import datetime as dt
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

import cbsodata

from .errors import IvbError
from .neterrors import NETWORK_ERRORS, describe


@dataclass
class TableSpec:
    key: str
    publisher: str
    base_url: str
    known_id: str
    title_words: list[str]
    category_dimension: str | None
    measure: str
    indicators: dict[str, str]

    @classmethod
    def from_yaml(cls, d: dict) -> "TableSpec":
        base = os.environ.get(d.get("env") or "", "") or d["base_url"]
        return cls(key=d["key"], publisher=d["publisher"], base_url=base.rstrip("/"), known_id=d["known_id"],
                   title_words=[w.lower() for w in d.get("title_words") or []],
                   category_dimension=d.get("category_dimension"), measure=d["measure"],
                   indicators={str(k): v for k, v in d["indicators"].items()})

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc


@contextmanager
def _client(spec: TableSpec):
    """Point cbsodata at the spec's host (https or plain http, e.g. a local replay server)."""
    old = cbsodata.options.use_https
    cbsodata.options.use_https = urlparse(spec.base_url).scheme != "http"
    try:
        yield
    finally:
        cbsodata.options.use_https = old


@dataclass
class TableRef:
    id: str
    title: str
    modified: str
    resolved_by: str


def resolve_table(spec: TableSpec, timeout: float) -> TableRef:
    """Find the current table id in the catalogue; fall back to the known id."""
    how = "catalogue"
    chosen = None
    try:
        with _client(spec):
            tables = cbsodata.get_table_list(catalog_url=spec.host, timeout=timeout)
            cands = [t for t in tables if all(w in str(t.get("Title", "")).lower() for w in spec.title_words)]
            cands.sort(key=lambda t: str(t.get("Modified", "")), reverse=True)
            for t in cands[:6]:
                if _fits(spec, t["Identifier"], timeout):
                    chosen = t["Identifier"]
                    break
    except NETWORK_ERRORS:
        how = "known id (catalogue unreachable)"
    if chosen is None:
        chosen, how = spec.known_id, how if how != "catalogue" else "known id (no catalogue match)"
    try:
        with _client(spec):
            info = cbsodata.get_info(chosen, catalog_url=spec.host, timeout=timeout) or {}
    except NETWORK_ERRORS as exc:
        raise IvbError(describe(exc, f"table {chosen} on {spec.host}", timeout)) from None
    return TableRef(chosen, str(info.get("Title", "")), str(info.get("Modified", "")), how)


def _fits(spec: TableSpec, table_id: str, timeout: float) -> bool:
    props = cbsodata.get_meta(table_id, "DataProperties", catalog_url=spec.host, timeout=timeout)
    keys = {p.get("Key") for p in props}
    needed = {spec.measure, "RegioS", "Perioden"} | ({spec.category_dimension} if spec.category_dimension else set())
    if not needed <= keys or "WijkenEnBuurten" in keys:
        return False
    periods = cbsodata.get_meta(table_id, "Perioden", catalog_url=spec.host, timeout=timeout)
    return bool(_years_of([p["Key"] for p in periods], None))  # yearly figures, not a monthly table


def _years_of(period_keys, years) -> list[str]:
    out = []
    for k in period_keys:
        m = re.fullmatch(r"(\d{4})JJ00", k.strip())
        if m and (years is None or int(m.group(1)) in years):
            out.append(k)
    return out


def download(spec: TableSpec, ref: TableRef, areas: list[str], years: list[int] | None, timeout: float) -> dict:
    """The raw rows for `areas` (e.g. GM1969 and NL01) and the spec's categories, keys padded as served."""
    with _client(spec):
        try:
            props = cbsodata.get_meta(ref.id, "DataProperties", catalog_url=spec.host, timeout=timeout)
            if spec.measure not in {p.get("Key") for p in props}:
                raise IvbError(f"table {ref.id} has no column {spec.measure} — the publisher changed the table; "
                               f"update data/live.yaml (measure) or use the cached or snapshot figures")
            regions = cbsodata.get_meta(ref.id, "RegioS", catalog_url=spec.host, timeout=timeout)
            padded = {r["Key"].strip(): r for r in regions}
            for area in areas:
                if area not in padded:
                    raise IvbError(f"{area} is not a region of table {ref.id} ({ref.title or spec.key}) — check the "
                                   f"municipality code (current boundaries, e.g. GM1969)")
            clauses = ["(" + " or ".join(f"RegioS eq '{padded[a]['Key']}'" for a in areas) + ")"]
            cats = {}
            if spec.category_dimension:
                dims = cbsodata.get_meta(ref.id, spec.category_dimension, catalog_url=spec.host, timeout=timeout)
                cats = {d["Key"].strip(): d for d in dims}
                missing = [c for c in spec.indicators if c not in cats]
                if missing:
                    raise IvbError(f"table {ref.id} has no {spec.category_dimension} {', '.join(missing)} — update data/live.yaml")
                clauses.append("(" + " or ".join(f"{spec.category_dimension} eq '{cats[c]['Key']}'" for c in spec.indicators) + ")")
            periods = cbsodata.get_meta(ref.id, "Perioden", catalog_url=spec.host, timeout=timeout)
            keys = _years_of([p["Key"] for p in periods], set(years) if years else None)
            if not keys:
                span = f"{years[0]}–{years[-1]}" if years else "any year"
                raise IvbError(f"table {ref.id} has no yearly figures for {span} — choose other --years")
            clauses.append("(" + " or ".join(f"Perioden eq '{k}'" for k in keys) + ")")
            sets = cbsodata.download_data(ref.id, typed=True, filters=" and ".join(clauses), catalog_url=spec.host,
                                          timeout=timeout)
            # cbsodata 1.3 returns the UntypedDataSet for typed=True; accept either
            rows = sets.get("TypedDataSet", sets.get("UntypedDataSet"))
            if rows is None:
                raise IvbError(f"table {ref.id} on {spec.host} served no data set — the service may have changed")
        except NETWORK_ERRORS as exc:
            raise IvbError(describe(exc, f"table {ref.id} on {spec.host}", timeout)) from None
    return {"rows": rows, "regions": {a: padded[a]["Title"].strip() for a in areas}}


def tidy_rows(spec: TableSpec, raw: dict, source_id: str) -> list[dict]:
    """Strip padded keys; periods YYYYJJ00 -> year; skip missing values (never write 0 for them)."""
    out = []
    for r in raw["rows"]:
        if spec.measure not in r:
            raise IvbError(f"the rows of {spec.key} have no column {spec.measure} — the publisher changed the table; update data/live.yaml")
        value = _number(r[spec.measure], spec)
        m = re.fullmatch(r"(\d{4})JJ00", str(r.get("Perioden", "")).strip())
        if value is None or not m:
            continue
        cat = str(r.get(spec.category_dimension, "")).strip() if spec.category_dimension else ""
        if cat not in spec.indicators:
            continue
        area = str(r["RegioS"]).strip()
        out.append({"indicator": spec.indicators[cat], "area_code": area, "area_name": raw["regions"].get(area, area),
                    "year": int(m.group(1)), "value": value, "source_id": source_id})
    return out


def _number(raw, spec: TableSpec) -> int | None:
    """A typed (int) or untyped ('  123', '.') value; None when the table marks it missing."""
    if raw is None:
        return None
    if isinstance(raw, (int, float)):
        return int(raw)
    text = str(raw).strip()
    if text in ("", ".", "-", "x"):
        return None
    try:
        return int(float(text))
    except ValueError:
        raise IvbError(f"{spec.key}: value {text!r} in column {spec.measure} is not a number — the table format changed") from None


def source_entry(spec: TableSpec, ref: TableRef, retrieved_at: str) -> tuple[str, dict]:
    day = retrieved_at[:10]
    sid = f"{spec.key}-{ref.id}-{day.replace('-', '')}"
    modified = ref.modified[:10] if ref.modified else "onbekend"
    return sid, {"id": sid, "kind": "official_table", "publisher": spec.publisher,
                 "title": f"{ref.title or spec.key} (tabel {ref.id}, gewijzigd {modified})",
                 "url": f"{spec.base_url}/ODataApi/odata/{ref.id}/", "document": f"OData table {ref.id}, measure {spec.measure}",
                 "retrieved": day, "note": f"Table id found via {ref.resolved_by}; table Modified {ref.modified or 'unknown'}; "
                                           f"retrieved {retrieved_at}."}


def today() -> str:
    return dt.date.today().isoformat()
