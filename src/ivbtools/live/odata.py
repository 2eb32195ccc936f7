"""Provider for CBS-style OData v3 tables (police open data, CBS), with bounded paging.

For each table spec in data/live.yaml:

1. **The right table.** The configured known id is used while it still fits (it exists, has the
   measure, the dimensions, NL01 and every configured category). Only when it is gone or no
   longer fits is the catalogue asked (filtered on the server by a title word), and then only a
   table of the same `Frequency` and layout is taken, newest first. A download that fails falls
   back to the next fitting table. Provenance names the table read and how it was found.
2. **Whole years only.** The period list is read with its status: a year whose months are not
   all there yet (a table with monthly figures holding January–October of the current year) is
   left out with a line, never compared as a full year; a year marked `Voorlopig` is kept and
   marked provisional in every report that uses it.
3. **Small downloads.** `$select` asks only the columns used (the population table has hundreds),
   `$filter` only the regions, categories and whole years needed, paged through `odata.nextLink`.

The client is small and our own (`get_pages`): every request has a timeout and retries
(web.py), every source a deadline, and paging stops with one line on a repeated link, on a page
without rows that still points further, and on more pages or rows than the request can match.
(The `cbsodata` package follows `nextLink` without any bound and downloads every entity set of a
table; it was replaced here.)
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

from ..errors import IvbError
from .web import Budget, Unreachable, base_url, get_json

MAX_META_PAGES = 200
MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december"]
YEAR_KEY = re.compile(r"(\d{4})JJ00")
MONTH_KEY = re.compile(r"(\d{4})MM(\d{2})")


class CodeError(IvbError):
    """A user's code that the table does not hold: no other table is tried."""


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
    # further measures of the same rows: indicator id -> key prefix of the column (CBS numbers
    # its columns, e.g. Name_105); a table without such a column is not an error
    optional_measures: dict[str, str] = field(default_factory=dict)
    # an indicator derived from several columns: indicator id -> key prefixes of the population
    # per class, in class order (the class of the middle inhabitant is the indicator's value)
    class_measures: dict[str, list[str]] = field(default_factory=dict)
    frequency: str | None = None   # the known table's Frequency ('Perjaar', 'Permaand'): a successor must match
    # also download the table's monthly figures (the monitor's current year to date); only for the
    # municipality's own fetch (areas named), not the all-municipality panel
    months: bool = False
    # False: a table read for its monthly figures only (e.g. crimes by month, 47013NED): its yearly
    # figures come from another table, so none are asked for or cached from this one
    yearly: bool = True

    @classmethod
    def from_yaml(cls, d: dict) -> TableSpec:
        return cls(key=d["key"], publisher=d["publisher"], base_url=base_url(d), known_id=d["known_id"],
                   title_words=[str(w) for w in d.get("title_words") or []],
                   category_dimension=d.get("category_dimension"), measure=d["measure"],
                   indicators={str(k): v for k, v in d["indicators"].items()},
                   optional_measures=dict(d.get("optional_measures") or {}),
                   class_measures={k: list(v) for k, v in (d.get("class_measures") or {}).items()},
                   frequency=d.get("frequency"), months=bool(d.get("months", False)),
                   yearly=bool(d.get("yearly", True)))

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc

    def table_url(self, table_id: str, entity_set: str = "") -> str:
        return f"{self.base_url}/ODataFeed/odata/{table_id}/{entity_set}"


def get_pages(url: str, params: dict | None, budget: Budget, max_pages: int = MAX_META_PAGES,
              max_rows: int | None = None) -> list[dict]:
    """GET an OData v3 JSON collection and follow `odata.nextLink`, bounded: one line (IvbError)
    on a repeated link, an empty page that points further, more pages than `max_pages`, more
    rows than `max_rows`, or the source's deadline."""
    rows: list[dict] = []
    seen: set[str] = set()
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
        body = get_json(full, budget)
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


# --- periods ---------------------------------------------------------------------------------

@dataclass
class Periods:
    """What a table's period list says about whole years."""
    keys: dict[int, str] = field(default_factory=dict)          # complete year -> padded key as served
    provisional: list[int] = field(default_factory=list)        # complete years with status Voorlopig
    partial: dict[int, str] = field(default_factory=dict)       # year -> 't/m oktober' (not a whole year yet)
    monthly: bool = False                                       # the table also has monthly figures
    month_keys: list[str] = field(default_factory=list)         # every month key as served (padded), in order

    @classmethod
    def read(cls, periods: list[dict]) -> Periods:
        out = cls()
        months: dict[int, set[int]] = {}
        years: dict[int, dict] = {}
        for p in periods:
            key = str(p.get("Key", "")).strip()
            if m := YEAR_KEY.fullmatch(key):
                years[int(m.group(1))] = p
            elif m := MONTH_KEY.fullmatch(key):
                months.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
                out.month_keys.append(str(p["Key"]))
        out.monthly = bool(months)
        for y in sorted(set(years) | set(months)):
            got = months.get(y, set())
            p = years.get(y)
            title = str((p or {}).get("Title", ""))
            cut = re.search(r"t/m|tot en met|januari\s*-", title, re.I)
            if got and got != set(range(1, 13)) or p is None or cut:
                last = max(got) if got else None
                out.partial[y] = f"t/m {MONTHS_NL[last - 1]}" if last else (title or "onvolledig")
                continue
            out.keys[y] = str(p["Key"])
            if "voorlopig" in str(p.get("Status", "")).lower() or title.strip().endswith("*"):
                out.provisional.append(y)
        return out

    def wanted(self, years) -> list[int]:
        return [y for y in self.keys if years is None or y in years]


# --- choosing the table ------------------------------------------------------------------------

@dataclass
class TableRef:
    id: str
    title: str
    modified: str
    resolved_by: str
    frequency: str = ""
    props: list[str] = field(default_factory=list, repr=False)
    regions: dict[str, dict] = field(default_factory=dict, repr=False)    # stripped key -> row (padded Key)
    categories: dict[str, dict] = field(default_factory=dict, repr=False)
    periods: Periods = field(default_factory=Periods, repr=False)

    def provenance(self) -> dict:
        return {"id": self.id, "title": self.title, "modified": self.modified, "resolved_by": self.resolved_by,
                "frequency": self.frequency}


def _meta(spec: TableSpec, table_id: str, name: str, budget: Budget, params: dict | None = None) -> list[dict]:
    return get_pages(spec.table_url(table_id, name), params or {}, budget.renamed(f"table {table_id} on {spec.host}"))


def inspect_table(spec: TableSpec, table_id: str, budget: Budget, resolved_by: str) -> tuple[TableRef | None, str]:
    """The table's metadata when it fits the spec (measure, dimensions, NL01, every configured
    category, whole years), else (None, why not)."""
    info = _meta(spec, table_id, "TableInfos", budget)
    info = info[0] if info else {}
    ref = TableRef(table_id, str(info.get("Title", "")), str(info.get("Modified", "")), resolved_by,
                   str(info.get("Frequency", "")))
    ref.props = [str(p.get("Key")) for p in _meta(spec, table_id, "DataProperties", budget)]
    needed = [spec.measure, "RegioS", "Perioden"] + ([spec.category_dimension] if spec.category_dimension else [])
    missing = [k for k in needed if k not in ref.props]
    if missing:
        return None, f"table {table_id} has no column {', '.join(missing)}"
    if "WijkenEnBuurten" in ref.props:
        return None, f"table {table_id} is a neighbourhood table"
    ref.regions = {str(r.get("Key", "")).strip(): r for r in _meta(spec, table_id, "RegioS", budget)}
    if "NL01" not in ref.regions:
        return None, f"table {table_id} has no region NL01"
    if spec.category_dimension:
        ref.categories = {str(d.get("Key", "")).strip(): d for d in _meta(spec, table_id, spec.category_dimension, budget)}
        absent = [c for c in spec.indicators if c not in ref.categories]
        if absent:
            return None, f"table {table_id} has no {spec.category_dimension} {', '.join(absent)}"
    ref.periods = Periods.read(_meta(spec, table_id, "Perioden", budget))
    if not spec.yearly:
        if not ref.periods.month_keys:
            return None, f"table {table_id} has no monthly figures"
    elif not ref.periods.keys and not ref.periods.partial:
        return None, f"table {table_id} has no yearly figures"
    return ref, ""


def catalogue_candidates(spec: TableSpec, budget: Budget) -> list[dict]:
    """Tables whose title holds every title word, filtered on the server, newest first, of the
    same Frequency as the known table (a monthly sibling never replaces a yearly table)."""
    params = {"$select": "Identifier,Title,Modified,Frequency"}
    if spec.title_words:
        params["$filter"] = " and ".join(f"substringof('{w}',Title)" for w in spec.title_words)
    tables = get_pages(f"{spec.base_url}/ODataCatalog/Tables", params, budget.renamed(f"the catalogue on {spec.host}"))
    words = [w.lower() for w in spec.title_words]
    cands = [t for t in tables if all(w in str(t.get("Title", "")).lower() for w in words)
             and t.get("Identifier") != spec.known_id
             and (not spec.frequency or str(t.get("Frequency", "")) == spec.frequency)]
    return sorted(cands, key=lambda t: str(t.get("Modified", "")), reverse=True)


def tables_to_try(spec: TableSpec, budget: Budget):
    """Yield fitting tables, the known id first; the catalogue is asked only after the known id
    is gone, no longer fits, or its download failed (the caller asks for the next one)."""
    why = ""
    try:
        ref, why = inspect_table(spec, spec.known_id, budget, "known id")
    except IvbError as exc:
        if "time limit" in str(exc) or isinstance(exc, Unreachable):
            raise
        ref, why = None, str(exc)
    if ref is not None:
        yield ref
        why = f"table {spec.known_id} failed"
    try:
        candidates = catalogue_candidates(spec, budget)
    except IvbError as exc:
        if ref is not None or "time limit" in str(exc):
            raise
        raise IvbError(f"{why}; the catalogue could not be searched for a successor ({exc})") from None
    for t in candidates:
        try:
            cand, _ = inspect_table(spec, t["Identifier"], budget, f"catalogue ({why})")
        except IvbError as exc:
            if "time limit" in str(exc):
                raise
            continue
        if cand is not None:
            yield cand
    if ref is None:
        raise IvbError(f"{why or 'no table fits'}; no other table in the catalogue fits (same frequency, columns, NL01 "
                       f"and categories) — if the publisher replaced it, put the new id in data/live.yaml ({spec.key})")


# --- downloading -------------------------------------------------------------------------------

def _columns(spec: TableSpec, ref: TableRef) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The optional columns and the class columns this table has (found by key prefix)."""
    def find(prefix):
        hit = [k for k in ref.props if k == prefix or k.startswith(prefix + "_")]
        return hit[0] if hit else None
    extra = {ind: find(p) for ind, p in spec.optional_measures.items() if find(p)}
    classes = {}
    for ind, prefixes in spec.class_measures.items():
        cols = [find(p) for p in prefixes]
        if all(cols):
            classes[ind] = cols
    return extra, classes


def download(spec: TableSpec, ref: TableRef, areas: list[str] | None, years: list[int] | None, budget: Budget) -> dict:
    """The raw rows for `areas` (e.g. GM1969 and NL01) and the spec's categories, keys padded as
    served, with the URL of the data set actually read. `areas=None`: every municipality the
    table has, and NL01, in one filtered query (substringof on the region key), paged. Only the
    columns used are asked for, only whole years."""
    what = f"table {ref.id} on {spec.host}"
    extra, classes = _columns(spec, ref)
    padded = ref.regions
    panel = areas is None
    if areas is None:
        areas = [a for a in padded if a.startswith("GM")] + ["NL01"]
        clauses = [f"(substringof('GM',RegioS) or RegioS eq '{padded['NL01']['Key']}')"]
    else:
        for area in areas:
            if area not in padded:
                raise CodeError(f"{area} is not a region of table {ref.id} ({ref.title or spec.key}) — check the "
                                f"municipality code (current boundaries, e.g. GM1969)")
        clauses = ["(" + " or ".join(f"RegioS eq '{padded[a]['Key']}'" for a in areas) + ")"]
    n_cats = 1
    if spec.category_dimension:
        cats = ref.categories
        clauses.append("(" + " or ".join(f"{spec.category_dimension} eq '{cats[c]['Key']}'" for c in spec.indicators) + ")")
        n_cats = len(spec.indicators)
    wanted = ref.periods.wanted(set(years) if years else None) if spec.yearly else []
    if not wanted and spec.yearly:
        span = f"{years[0]}–{years[-1]}" if years else "any year"
        partial = "; ".join(f"{y}: {lbl}" for y, lbl in ref.periods.partial.items() if not years or y in years)
        raise IvbError(f"table {ref.id} has no whole year of figures for {span}"
                       + (f" (not yet complete: {partial})" if partial else "") + " — choose other --years")
    if years is None:
        clauses.append("substringof('JJ',Perioden)")   # every whole year; a partial one is left out below
        n_keys = len(ref.periods.keys) + len([y for y in ref.periods.partial if y not in ref.periods.keys])
    else:
        clauses.append("(" + " or ".join(f"Perioden eq '{ref.periods.keys[y]}'" for y in wanted) + ")")
        n_keys = len(wanted)
    select = ["RegioS", "Perioden"] + ([spec.category_dimension] if spec.category_dimension else []) + [spec.measure]
    select += [c for c in extra.values() if c not in select] + [c for cols in classes.values() for c in cols]
    expected = len(areas) * n_cats * n_keys
    url = spec.table_url(ref.id, "TypedDataSet")
    start = len(budget.urls)
    rows = get_pages(url, {"$filter": " and ".join(clauses), "$select": ",".join(select)}, budget.renamed(what),
                     max_pages=expected + 1, max_rows=expected) if spec.yearly else []
    partial = {y: lbl for y, lbl in ref.periods.partial.items() if (years is None or y in years) and spec.yearly}
    month_rows, month_url = [], None
    if spec.months and not panel and ref.periods.month_keys:
        # the monthly figures of every year (a few hundred rows): the current year to date and the
        # same months of the years before, for the monitor (issue #19)
        clauses[-1] = "substringof('MM',Perioden)"
        expected = len(areas) * n_cats * len(ref.periods.month_keys)
        start_m = len(budget.urls)
        month_select = ["RegioS", "Perioden"] + ([spec.category_dimension] if spec.category_dimension else []) + [spec.measure]
        month_rows = get_pages(url, {"$filter": " and ".join(clauses), "$select": ",".join(month_select)},
                               budget.renamed(what), max_pages=expected + 1, max_rows=expected)
        month_url = budget.urls[start_m]
    return {"rows": rows, "regions": {a: str(padded[a].get("Title", a)).strip() for a in areas},
            "month_rows": month_rows, "month_url": month_url,
            "url": budget.urls[start] if len(budget.urls) > start else url, "pages": len(budget.urls) - start,
            "periods": [ref.periods.keys[y].strip() for y in wanted], "extra_measures": extra,
            "class_measures": classes, "partial_years": {str(y): v for y, v in partial.items()},
            "provisional_years": [y for y in ref.periods.provisional if y in wanted]}


def validate_rows(spec: TableSpec, raw: dict, table_id: str) -> None:
    """Every row must carry the measure, a known region, a yearly period and a known category,
    with a number or a missing-value mark: otherwise nothing from this response is cached."""
    areas = set(raw["regions"])
    for i, r in enumerate(raw["rows"] + raw.get("month_rows", []), start=1):
        if not isinstance(r, dict):
            raise IvbError(f"table {table_id}: row {i} of the answer is not a record — the service sent a broken answer; cache kept")
        for col in [spec.measure, "RegioS", "Perioden"] + ([spec.category_dimension] if spec.category_dimension else []):
            if col not in r:
                raise IvbError(f"table {table_id}: row {i} of the answer has no column {col} although the table lists it — "
                               f"a broken answer from the service; the cache is kept; try again later")
        if i > len(raw["rows"]) and not MONTH_KEY.fullmatch(str(r["Perioden"]).strip()):
            raise IvbError(f"table {table_id}: a row of the monthly answer is for period {str(r['Perioden']).strip()!r}, "
                           f"not a month — the service ignored the filter; the cache is kept")
        if str(r["RegioS"]).strip() not in areas:
            raise IvbError(f"table {table_id}: row {i} is for region {str(r['RegioS']).strip()!r}, which was not asked for — "
                           f"the service ignored the filter; the cache is kept")
        _number(r[spec.measure], spec)
        for col in list(raw.get("extra_measures", {}).values()) + [c for cols in raw.get("class_measures", {}).values() for c in cols]:
            _number(r.get(col), spec, col)


def middle_class(populations: list[int | None]) -> int | None:
    """The class (1-based) of the middle inhabitant, from the population per class in class order;
    None when the populations are missing."""
    if any(p is None for p in populations) or sum(populations) <= 0:
        return None
    half, run = sum(populations) / 2, 0
    for k, p in enumerate(populations, start=1):
        run += p
        if run >= half:
            return k
    return len(populations)


def tidy_rows(spec: TableSpec, raw: dict, source_id: str) -> list[dict]:
    """Strip padded keys; periods YYYYJJ00 -> year; whole years only; skip missing values (never
    write 0 for them); derived class measures as their own indicator."""
    out = []
    partial = {int(y) for y in raw.get("partial_years", {})}
    for r in raw["rows"]:
        value = _number(r[spec.measure], spec)
        m = YEAR_KEY.fullmatch(str(r.get("Perioden", "")).strip())
        if value is None or not m or int(m.group(1)) in partial:
            continue
        cat = str(r.get(spec.category_dimension, "")).strip() if spec.category_dimension else ""
        if cat not in spec.indicators:
            continue
        area = str(r["RegioS"]).strip()
        name = raw["regions"].get(area, area)
        year = int(m.group(1))
        out.append({"indicator": spec.indicators[cat], "area_code": area, "area_name": name,
                    "year": year, "value": value, "source_id": source_id})
        for ind, col in raw.get("extra_measures", {}).items():
            extra = _number(r.get(col), spec, col)
            if extra is not None:
                out.append({"indicator": ind, "area_code": area, "area_name": name, "year": year,
                            "value": extra, "source_id": source_id})
        for ind, cols in raw.get("class_measures", {}).items():
            k = middle_class([_number(r.get(c), spec, c) for c in cols])
            if k is not None and area != "NL01":
                out.append({"indicator": ind, "area_code": area, "area_name": name, "year": year,
                            "value": k, "source_id": source_id})
    return out


def tidy_months(spec: TableSpec, raw: dict, source_id: str) -> list[dict]:
    """The monthly figures (periods YYYYMMnn) as tidy rows with a month column, the current
    year's months included (they are the point: the year to date); missing values skipped."""
    out = []
    for r in raw.get("month_rows", []):
        value = _number(r[spec.measure], spec)
        m = MONTH_KEY.fullmatch(str(r.get("Perioden", "")).strip())
        cat = str(r.get(spec.category_dimension, "")).strip() if spec.category_dimension else ""
        if value is None or not m or cat not in spec.indicators:
            continue
        area = str(r["RegioS"]).strip()
        out.append({"indicator": spec.indicators[cat], "area_code": area, "area_name": raw["regions"].get(area, area),
                    "year": int(m.group(1)), "month": int(m.group(2)), "value": value, "source_id": source_id})
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


def source_entry(spec: TableSpec, ref: TableRef, retrieved_at: str, raw: dict | None = None) -> tuple[str, dict]:
    """The source entry of a retrieval: table, title, how it was found, which years are
    provisional (marked in every report) and which were left out as not yet complete."""
    raw = raw or {}
    day = retrieved_at[:10]
    sid = f"{spec.key}-{ref.id}-{day.replace('-', '')}"
    modified = ref.modified[:10] if ref.modified else "onbekend"
    provisional = sorted(raw.get("provisional_years") or [])
    partial = raw.get("partial_years") or {}
    note = (f"Tabel gevonden via {_how_nl(ref.resolved_by)}; tabel gewijzigd {ref.modified or 'onbekend'}"
            + (f", frequentie {ref.frequency}" if ref.frequency else "") + f"; opgehaald {retrieved_at}.")
    if not spec.yearly:
        note += " Alleen de maandcijfers gebruikt, voor de monitor (het lopende jaar tot nu); de jaarcijfers komen uit de jaartabel."
    if provisional:
        note += f" Voorlopige cijfers: {', '.join(map(str, provisional))} (status ‘Voorlopig’ in de tabel; kan nog wijzigen)."
    if partial:
        note += " Niet gebruikt, want nog geen volledig jaar: " + "; ".join(f"{y} ({lbl})" for y, lbl in sorted(partial.items())) + "."
    classes = raw.get("class_measures") or {}
    if classes:
        note += (" Mate van stedelijkheid afgeleid: de klasse (1–5) waarin de middelste inwoner woont, uit de bevolking "
                 f"per stedelijkheidsklasse van de buurten ({', '.join(c for cols in classes.values() for c in cols)}).")
    entry = {"id": sid, "kind": "official_table", "publisher": spec.publisher,
             "title": f"{ref.title or spec.key} (tabel {ref.id}, gewijzigd {modified})",
             "url": f"{spec.base_url}/ODataApi/odata/{ref.id}/", "document": f"OData table {ref.id}, measure {spec.measure}",
             "retrieved": day, "note": note}
    if provisional:
        entry["provisional_years"] = provisional
    return sid, entry


def _how_nl(resolved_by: str) -> str:
    if resolved_by == "known id":
        return "het bekende tabelnummer"
    return "de catalogus " + resolved_by.removeprefix("catalogue").strip()


def today() -> str:
    return dt.date.today().isoformat()
