"""Provider for CBS-style OData v3 tables (police open data, CBS), with bounded paging.

For each table spec in data/live.yaml: resolve the current table id from the catalogue
(title search, verified by its DataProperties; the known id as fallback), then download the
rows for the wanted regions and categories, strip the padded keys, and write a tidy extract
with provenance (table id, title, Modified date, retrieval time, the URL actually read).

The client is small and our own (`get_pages`): every request has a timeout, every source a
deadline, and paging through `odata.nextLink` stops with one line on a repeated link, on a
page without rows that still points further, and on more pages than the request can need.
(The `cbsodata` package follows `nextLink` without any bound, downloads every entity set of
a table, and serves the untyped set when asked for the typed one; it was replaced here.)
"""
from __future__ import annotations

import datetime as dt
import os
import re
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

import requests

from .errors import IvbError
from .neterrors import NETWORK_ERRORS, describe

MAX_META_PAGES = 200


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
    # optional further measures of the same rows: indicator id -> key prefix of the column
    # (CBS numbers its columns, e.g. Name_105); a table without such a column is not an error
    optional_measures: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, d: dict) -> "TableSpec":
        base = os.environ.get(d.get("env") or "", "") or d["base_url"]
        return cls(key=d["key"], publisher=d["publisher"], base_url=base.rstrip("/"), known_id=d["known_id"],
                   title_words=[w.lower() for w in d.get("title_words") or []],
                   category_dimension=d.get("category_dimension"), measure=d["measure"],
                   indicators={str(k): v for k, v in d["indicators"].items()},
                   optional_measures=dict(d.get("optional_measures") or {}))

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc

    def table_url(self, table_id: str, entity_set: str = "") -> str:
        return f"{self.base_url}/ODataFeed/odata/{table_id}/{entity_set}"


@dataclass
class Budget:
    """Time for one source: `timeout` per request, `deadline` (monotonic seconds) for the whole."""
    timeout: float
    deadline: float
    what: str
    urls: list[str] = field(default_factory=list)   # every URL actually requested

    @classmethod
    def start(cls, timeout: float, source_timeout: float, what: str) -> "Budget":
        return cls(timeout, time.monotonic() + source_timeout, what)

    def request_timeout(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise IvbError(f"{self.what}: no complete answer within the source's time limit — try again later, "
                           f"or allow more time with --source-timeout")
        return max(0.5, min(self.timeout, left))


def proxy_for(url: str) -> str | None:
    """The proxy that requests would use for `url` (HTTPS_PROXY / HTTP_PROXY), if any."""
    proxies = urllib.request.getproxies()
    if urllib.request.proxy_bypass(urlparse(url).hostname or ""):
        return None
    return proxies.get(urlparse(url).scheme)


def get_pages(url: str, params: dict | None, budget: Budget, max_pages: int = MAX_META_PAGES,
              max_rows: int | None = None) -> list[dict]:
    """GET an OData v3 JSON collection and follow `odata.nextLink`, bounded: one line (IvbError)
    on a repeated link, an empty page that points further, more pages than `max_pages`, more
    rows than `max_rows`, or the source's deadline."""
    rows: list[dict] = []
    seen: set[str] = set()
    session = requests.Session()
    full = url + ("?" + urlencode({"$format": "json", **(params or {})}) if params is not None else "")
    pages = 0
    while full:
        if full in seen:
            raise IvbError(f"{budget.what}: the service sent the same next-page link twice ({_short(full)}) — "
                           f"a fault on its side; the cache is kept; try again later")
        seen.add(full)
        pages += 1
        if pages > max_pages:
            raise IvbError(f"{budget.what}: more than {max_pages} pages for a request that needs at most that — "
                           f"the service's paging is broken; the cache is kept; try again later")
        budget.urls.append(full)
        try:
            resp = session.get(full, timeout=budget.request_timeout())
            resp.raise_for_status()
            body = resp.json()
        except NETWORK_ERRORS as exc:
            raise IvbError(describe(exc, budget.what, budget.timeout, proxy_for(full))) from None
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise IvbError(f"{budget.what}: the answer has no 'value' list — not the expected OData format; "
                           f"the cache is kept; try again later")
        page = body["value"]
        rows.extend(page)
        if max_rows is not None and len(rows) > max_rows:
            raise IvbError(f"{budget.what}: more rows than the request can match ({len(rows)} > {max_rows}) — "
                           f"the service ignored the filter or repeats pages; the cache is kept")
        nxt = body.get("odata.nextLink")
        if nxt and not page:
            raise IvbError(f"{budget.what}: an empty page that points to a further page — the service's paging is "
                           f"broken; the cache is kept; try again later")
        full = nxt
    return rows


def _short(url: str) -> str:
    return url if len(url) < 120 else url[:117] + "..."


@dataclass
class TableRef:
    id: str
    title: str
    modified: str
    resolved_by: str


def resolve_table(spec: TableSpec, budget: Budget) -> TableRef:
    """Find the current table id in the catalogue; fall back to the known id."""
    how = "catalogue"
    chosen = None
    try:
        tables = get_pages(f"{spec.base_url}/ODataCatalog/Tables", {}, budget)
        cands = [t for t in tables if all(w in str(t.get("Title", "")).lower() for w in spec.title_words)]
        cands.sort(key=lambda t: str(t.get("Modified", "")), reverse=True)
        for t in cands[:6]:
            if _fits(spec, t["Identifier"], budget):
                chosen = t["Identifier"]
                break
    except IvbError as exc:
        if "time limit" in str(exc):
            raise
        how = "known id (catalogue unreachable)"
    if chosen is None:
        chosen, how = spec.known_id, how if how != "catalogue" else "known id (no catalogue match)"
    info = get_pages(spec.table_url(chosen, "TableInfos"), {}, _sub(budget, f"table {chosen} on {spec.host}"))
    info = info[0] if info else {}
    return TableRef(chosen, str(info.get("Title", "")), str(info.get("Modified", "")), how)


def _sub(budget: Budget, what: str) -> Budget:
    """The same time budget under another name for messages (URLs still recorded in the parent)."""
    b = Budget(budget.timeout, budget.deadline, what)
    b.urls = budget.urls
    return b


def _meta(spec: TableSpec, table_id: str, name: str, budget: Budget) -> list[dict]:
    return get_pages(spec.table_url(table_id, name), {}, _sub(budget, f"table {table_id} on {spec.host}"))


def _fits(spec: TableSpec, table_id: str, budget: Budget) -> bool:
    keys = {p.get("Key") for p in _meta(spec, table_id, "DataProperties", budget)}
    needed = {spec.measure, "RegioS", "Perioden"} | ({spec.category_dimension} if spec.category_dimension else set())
    if not needed <= keys or "WijkenEnBuurten" in keys:
        return False
    periods = _meta(spec, table_id, "Perioden", budget)
    return bool(_years_of([p["Key"] for p in periods], None))  # yearly figures, not a monthly table


def _years_of(period_keys, years) -> list[str]:
    out = []
    for k in period_keys:
        m = re.fullmatch(r"(\d{4})JJ00", k.strip())
        if m and (years is None or int(m.group(1)) in years):
            out.append(k)
    return out


def download(spec: TableSpec, ref: TableRef, areas: list[str] | None, years: list[int] | None, budget: Budget) -> dict:
    """The raw rows for `areas` (e.g. GM1969 and NL01) and the spec's categories, keys padded as
    served, with the URL of the data set actually read. `areas=None`: every municipality the
    table has, and NL01, in one filtered query (substringof on the region key), paged."""
    what = f"table {ref.id} on {spec.host}"
    props = _meta(spec, ref.id, "DataProperties", budget)
    keys_present = [str(p.get("Key")) for p in props]
    if spec.measure not in keys_present:
        raise IvbError(f"table {ref.id} has no column {spec.measure} — the publisher changed the table; "
                       f"update data/live.yaml (measure) or use the cached or snapshot figures")
    extra = {}
    for ind, prefix in spec.optional_measures.items():
        hit = [k for k in keys_present if k == prefix or k.startswith(prefix + "_")]
        if hit:
            extra[ind] = hit[0]
    regions = _meta(spec, ref.id, "RegioS", budget)
    padded = {str(r.get("Key", "")).strip(): r for r in regions}
    if areas is None:
        areas = [a for a in padded if a.startswith("GM")] + ["NL01"]
        if "NL01" not in padded:
            raise IvbError(f"table {ref.id} has no region NL01 — the publisher changed the table")
        clauses = [f"(substringof('GM',RegioS) or RegioS eq '{padded['NL01']['Key']}')"]
    else:
        for area in areas:
            if area not in padded:
                raise IvbError(f"{area} is not a region of table {ref.id} ({ref.title or spec.key}) — check the "
                               f"municipality code (current boundaries, e.g. GM1969)")
        clauses = ["(" + " or ".join(f"RegioS eq '{padded[a]['Key']}'" for a in areas) + ")"]
    n_cats = 1
    if spec.category_dimension:
        dims = _meta(spec, ref.id, spec.category_dimension, budget)
        cats = {str(d.get("Key", "")).strip(): d for d in dims}
        missing = [c for c in spec.indicators if c not in cats]
        if missing:
            raise IvbError(f"table {ref.id} has no {spec.category_dimension} {', '.join(missing)} — update data/live.yaml")
        clauses.append("(" + " or ".join(f"{spec.category_dimension} eq '{cats[c]['Key']}'" for c in spec.indicators) + ")")
        n_cats = len(spec.indicators)
    periods = _meta(spec, ref.id, "Perioden", budget)
    keys = _years_of([p["Key"] for p in periods], set(years) if years else None)
    if not keys:
        span = f"{years[0]}–{years[-1]}" if years else "any year"
        raise IvbError(f"table {ref.id} has no yearly figures for {span} — choose other --years")
    clauses.append("(" + " or ".join(f"Perioden eq '{k}'" for k in keys) + ")")
    expected = len(areas) * n_cats * len(keys)
    url = spec.table_url(ref.id, "TypedDataSet")
    start = len(budget.urls)
    rows = get_pages(url, {"$filter": " and ".join(clauses)}, _sub(budget, what), max_pages=expected + 1, max_rows=expected)
    return {"rows": rows, "regions": {a: str(padded[a].get("Title", a)).strip() for a in areas},
            "url": budget.urls[start], "pages": len(budget.urls) - start, "periods": [k.strip() for k in keys],
            "extra_measures": extra}


def validate_rows(spec: TableSpec, raw: dict, table_id: str) -> None:
    """Every row must carry the measure, a known region, a yearly period and a known category,
    with a number or a missing-value mark: otherwise nothing from this response is cached."""
    areas = set(raw["regions"])
    for i, r in enumerate(raw["rows"], start=1):
        if not isinstance(r, dict):
            raise IvbError(f"table {table_id}: row {i} of the answer is not a record — the service sent a broken answer; cache kept")
        for col in [spec.measure, "RegioS", "Perioden"] + ([spec.category_dimension] if spec.category_dimension else []):
            if col not in r:
                raise IvbError(f"table {table_id}: row {i} of the answer has no column {col} although the table lists it — "
                               f"a broken answer from the service; the cache is kept; try again later")
        if str(r["RegioS"]).strip() not in areas:
            raise IvbError(f"table {table_id}: row {i} is for region {str(r['RegioS']).strip()!r}, which was not asked for — "
                           f"the service ignored the filter; the cache is kept")
        _number(r[spec.measure], spec)
        for col in raw.get("extra_measures", {}).values():
            _number(r.get(col), spec, col)


def tidy_rows(spec: TableSpec, raw: dict, source_id: str) -> list[dict]:
    """Strip padded keys; periods YYYYJJ00 -> year; skip missing values (never write 0 for them)."""
    out = []
    for r in raw["rows"]:
        value = _number(r[spec.measure], spec)
        m = re.fullmatch(r"(\d{4})JJ00", str(r.get("Perioden", "")).strip())
        if value is None or not m:
            continue
        cat = str(r.get(spec.category_dimension, "")).strip() if spec.category_dimension else ""
        if cat not in spec.indicators:
            continue
        area = str(r["RegioS"]).strip()
        name = raw["regions"].get(area, area)
        out.append({"indicator": spec.indicators[cat], "area_code": area, "area_name": name,
                    "year": int(m.group(1)), "value": value, "source_id": source_id})
        for ind, col in raw.get("extra_measures", {}).items():
            extra = _number(r.get(col), spec, col)
            if extra is not None:
                out.append({"indicator": ind, "area_code": area, "area_name": name, "year": int(m.group(1)),
                            "value": extra, "source_id": source_id})
    return out


def _number(raw, spec: TableSpec, column: str | None = None) -> int | None:
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
        raise IvbError(f"{spec.key}: value {text!r} in column {column or spec.measure} is not a number — the table format changed") from None


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
