"""Provider for CBS-style OData v3 tables (police open data, CBS), with bounded paging.

For each table spec in data/live.yaml:

1. **The right table.** The configured known id is used while it still fits: it exists, has the
   measure, the dimensions, NL01 and every configured category, its status (`OutputStatus`) is
   `Regulier`, and its newest whole year is recent (`fresh_year`). A table that answers but is
   discontinued or frozen does not fit: one line says why, and the configured successors
   (`yearly_from`, e.g. the monthly crime table 47013NED, whose whole years `JJ00` stand beside
   its months) and then the catalogue (filtered on the server by title words) are tried. A
   successor is chosen by the periods it actually holds (whole years for a yearly source, months
   for a monthly one) and by its status, never by `Frequency`, which is the update cadence, not
   the grain. When nothing fresher fits, the discontinued or frozen table is used as the last
   resort, and its provenance says so. A download that fails falls back to the next fitting table.
2. **Whole years only.** The period list is read with its status: a year whose months are not
   all there yet (a table with monthly figures holding January–October of the current year) is
   left out with a line, never compared as a full year; a year marked `Voorlopig` is kept and
   marked provisional in every report that uses it.
3. **Small, complete downloads.** `$select` asks only the columns used (the population table has
   hundreds), `$filter` only the regions, categories and whole years needed, split so that each
   request expects at most `max_rows_per_request` rows (the service's page: 10,000), so that no
   answer needs `$skip` paging, which users found to drop rows silently (September 2026). Any
   `odata.nextLink` is still followed, re-based onto the configured host (the service names an
   internal host, dataderden.prod.cbsp.nl, in its own links). After the download every requested
   region x category x period must be there once: a gap is one line naming what is missing.

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
from urllib.parse import urlencode, urlparse, urlunparse

from ..errors import IvbError
from ..fmt import MONTHS_NL
from .web import Budget, Unreachable, base_url, get_json

MAX_META_PAGES = 200
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
    # category key (stripped) -> the indicator(s) it counts towards: one id, or several when the category
    # is part of a sum (e.g. 1.4.6 straatroof is also violent crime and high-impact crime); an indicator
    # fed by several categories is their sum, and missing when any of them is missing
    indicators: dict[str, tuple[str, ...]]
    # further measures of the same rows: indicator id -> key prefix of the column (CBS numbers
    # its columns, e.g. Name_105); a table without such a column is not an error
    optional_measures: dict[str, str] = field(default_factory=dict)
    # an indicator derived from several columns: indicator id -> key prefixes of the population
    # per class, in class order (the class of the middle inhabitant is the indicator's value)
    class_measures: dict[str, list[str]] = field(default_factory=dict)
    # the known table's update cadence as documented (TableInfos.Frequency): recorded in the
    # provenance, never used to choose a table (it is not the grain of the periods)
    frequency: str | None = None
    # also download the table's monthly figures (the monitor's current year to date); only for the
    # municipality's own fetch (areas named), not the all-municipality panel
    months: bool = False
    # False: a table read for its monthly figures only (e.g. crimes by month, 47013NED): its yearly
    # figures come from another table, so none are asked for or cached from this one
    yearly: bool = True
    # tables to take the whole years from when the known id is gone, discontinued or frozen, in
    # this order, before the catalogue is searched (their whole years only; provenance says so)
    yearly_from: list[str] = field(default_factory=list)
    # the newest whole year counts as provisional whatever its Status says (the police label every
    # period 'Definitief' and revise their figures afterwards)
    newest_year_provisional: bool = False
    # from this day of the year ('MM-DD') last year's whole year must be in the table; before it,
    # the year before last (a table whose newest whole year is older is frozen: not fitting)
    newest_year_due: str | None = None
    # the most rows one request may expect: the service's page size (10,000); bigger requests are
    # split by category, then by year, so that no answer needs paging
    max_rows_per_request: int = 10_000

    @classmethod
    def from_yaml(cls, d: dict) -> TableSpec:
        return cls(key=d["key"], publisher=d["publisher"], base_url=base_url(d), known_id=d["known_id"],
                   title_words=[str(w) for w in d.get("title_words") or []],
                   category_dimension=d.get("category_dimension"), measure=d["measure"],
                   indicators={str(k): tuple(v) if isinstance(v, list) else (str(v),) for k, v in d["indicators"].items()},
                   optional_measures=dict(d.get("optional_measures") or {}),
                   class_measures={k: list(v) for k, v in (d.get("class_measures") or {}).items()},
                   frequency=d.get("frequency"), months=bool(d.get("months", False)),
                   yearly=bool(d.get("yearly", True)), yearly_from=[str(t) for t in d.get("yearly_from") or []],
                   newest_year_provisional=bool(d.get("newest_year_provisional", False)),
                   newest_year_due=d.get("newest_year_due"),
                   max_rows_per_request=int(d.get("max_rows_per_request", 10_000)))

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc

    @property
    def indicator_ids(self) -> list[str]:
        """Every indicator the table gives, once, in the order of the categories."""
        return list(dict.fromkeys(i for ids in self.indicators.values() for i in ids))

    def sums(self, values: dict[str, int | None]) -> dict[str, int]:
        """Per indicator the sum of its categories' values for one area and period; an indicator with a
        category missing (not published, or not in `values`) has no figure — never a partial sum."""
        out = {}
        for ind in self.indicator_ids:
            cats = [c for c, ids in self.indicators.items() if ind in ids]
            parts = [values.get(c) for c in cats]
            if parts and all(p is not None for p in parts):
                out[ind] = sum(parts)
        return out

    def table_url(self, table_id: str, entity_set: str = "") -> str:
        return f"{self.base_url}/ODataFeed/odata/{table_id}/{entity_set}"

    def fresh_year(self, today: dt.date | None = None) -> int:
        """The oldest newest-whole-year a table may have today without being frozen: last year once
        `newest_year_due` has passed, else the year before last."""
        today = today or dt.date.today()
        if self.newest_year_due:
            month, day = (int(x) for x in str(self.newest_year_due).split("-"))
            if (today.month, today.day) >= (month, day):
                return today.year - 1
        return today.year - 2


REGULAR = "Regulier"   # TableInfos.OutputStatus of a table that is kept up to date
MAX_MONTH_LAG = 4      # a monthly table's newest month may be this many months old (figures appear ~the 15th)


def rebase(link: str, current: str) -> str:
    """A next-page link on the host (scheme, host and path prefix) of the request it came from:
    the service names an internal host in its own links (dataderden.prod.cbsp.nl); path and
    query are kept."""
    nxt, cur = urlparse(link), urlparse(current)
    if not nxt.netloc or (nxt.scheme, nxt.netloc) == (cur.scheme, cur.netloc):
        return link
    path = nxt.path
    for marker in ("/ODataFeed/", "/ODataApi/", "/ODataCatalog/"):
        if marker.lower() in cur.path.lower() and marker.lower() in path.lower():
            prefix = cur.path[:cur.path.lower().index(marker.lower())]
            path = prefix + path[path.lower().index(marker.lower()):]
            break
    return urlunparse((cur.scheme, cur.netloc, path, nxt.params, nxt.query, ""))


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
        if nxt and not isinstance(nxt, str):
            raise IvbError(f"{budget.what}: the next-page link is not a web address — a broken answer; the cache is kept")
        if nxt:
            moved = rebase(nxt, full)
            if moved != nxt:
                budget.note(f"the service's next-page links name host {urlparse(nxt).netloc}; followed on "
                            f"{urlparse(full).netloc} instead (path and query kept)", warn=False)
                budget.next_hosts.append(urlparse(nxt).netloc)
            nxt = moved
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
    year_keys: list[str] = field(default_factory=list)          # every year key as served, a partial year's too
    statuses: list[str] = field(default_factory=list)           # the Status of each whole year, as served

    @classmethod
    def read(cls, periods: list[dict]) -> Periods:
        out = cls()
        months: dict[int, set[int]] = {}
        years: dict[int, dict] = {}
        for p in periods:
            key = str(p.get("Key", "")).strip()
            if m := YEAR_KEY.fullmatch(key):
                years[int(m.group(1))] = p
                out.year_keys.append(str(p["Key"]))
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
            out.statuses.append(str(p.get("Status", "")).strip())
            if "voorlopig" in str(p.get("Status", "")).lower() or title.strip().endswith("*"):
                out.provisional.append(y)
        return out

    def wanted(self, years) -> list[int]:
        return [y for y in self.keys if years is None or y in years]

    @property
    def newest_year(self) -> int | None:
        return max(self.keys) if self.keys else None

    @property
    def newest_month(self) -> str | None:
        """'YYYY-MM' of the newest monthly figure, if any."""
        keys = sorted(MONTH_KEY.fullmatch(k.strip()).groups() for k in self.month_keys)
        return f"{keys[-1][0]}-{keys[-1][1]}" if keys else None


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
    status: str = ""        # TableInfos.OutputStatus ('Regulier', or e.g. 'Gediscontinueerd'); '' when not given
    # why this table answers but should not be relied on (discontinued, frozen): '' when it fits;
    # a table with a caveat is used only when nothing fresher fits, and its provenance says so
    caveat: str = ""
    caveat_nl: str = ""

    def provenance(self) -> dict:
        return {"id": self.id, "title": self.title, "modified": self.modified, "resolved_by": self.resolved_by,
                "frequency": self.frequency, "status": self.status, "caveat": self.caveat}


def _meta(spec: TableSpec, table_id: str, name: str, budget: Budget, params: dict | None = None) -> list[dict]:
    return get_pages(spec.table_url(table_id, name), params or {}, budget.renamed(f"table {table_id} on {spec.host}"))


def inspect_table(spec: TableSpec, table_id: str, budget: Budget, resolved_by: str,
                  today: dt.date | None = None) -> tuple[TableRef | None, str]:
    """The table's metadata when it can serve the spec (measure, dimensions, NL01, every configured
    category, whole years for a yearly spec or months for a monthly one), else (None, why not).
    A table that answers but is discontinued (OutputStatus not 'Regulier') or frozen (newest whole
    year older than `spec.fresh_year`) is returned with its `caveat` set: usable, but only when
    nothing fresher fits."""
    info = _meta(spec, table_id, "TableInfos", budget)
    info = info[0] if info else {}
    ref = TableRef(table_id, str(info.get("Title", "")), str(info.get("Modified", "")), resolved_by,
                   str(info.get("Frequency", "")), status=str(info.get("OutputStatus") or "").strip())
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
    elif not ref.periods.keys:
        partial = "; ".join(f"{y} ({lbl})" for y, lbl in ref.periods.partial.items())
        return None, f"table {table_id} has no whole year of figures" + (f" (only {partial})" if partial else "")
    ref.caveat, ref.caveat_nl = _caveat(spec, ref, today)
    return ref, ""


def _caveat(spec: TableSpec, ref: TableRef, today: dt.date | None) -> tuple[str, str]:
    """Why a table that fits in form should not be relied on: its status, or how old its newest
    figures are (English for the fetch's line, Dutch for the provenance)."""
    if ref.status and ref.status.lower() != REGULAR.lower():
        newest = ref.periods.newest_year if spec.yearly else ref.periods.newest_month
        return (f"table {ref.id} has status '{ref.status}' (OutputStatus), not '{REGULAR}': it is no longer kept up to "
                f"date (newest figures: {newest})",
                f"de tabel heeft de status ‘{ref.status}’: ze wordt niet meer bijgewerkt (nieuwste cijfers: {newest})")
    fresh = spec.fresh_year(today)
    if spec.yearly:
        newest = ref.periods.newest_year
        if newest is not None and newest < fresh:
            return (f"table {ref.id}: newest whole year {newest}, but {fresh} or later is due by now — the table looks "
                    f"frozen", f"het nieuwste hele jaar in de tabel is {newest}, terwijl {fresh} er nu zou moeten zijn: "
                               f"de tabel lijkt niet meer bijgewerkt")
    else:
        newest = ref.periods.newest_month
        today = today or dt.date.today()
        if newest is not None and (today.year * 12 + today.month) - (int(newest[:4]) * 12 + int(newest[5:])) > MAX_MONTH_LAG:
            return (f"table {ref.id}: newest month {newest}, more than {MAX_MONTH_LAG} months ago — the table looks frozen",
                    f"de nieuwste maand in de tabel is {newest}: de tabel lijkt niet meer bijgewerkt")
    return "", ""


def catalogue_candidates(spec: TableSpec, budget: Budget) -> list[dict]:
    """Tables whose title holds every title word, filtered on the server, regular ones first, newest
    first. Not filtered on Frequency: a monthly table with whole years can serve a yearly source
    (its periods decide, when it is inspected)."""
    params = {"$select": "Identifier,Title,Modified,Frequency,OutputStatus"}
    if spec.title_words:
        params["$filter"] = " and ".join(f"substringof('{w}',Title)" for w in spec.title_words)
    tables = get_pages(f"{spec.base_url}/ODataCatalog/Tables", params, budget.renamed(f"the catalogue on {spec.host}"))
    words = [w.lower() for w in spec.title_words]
    cands = [t for t in tables if isinstance(t, dict) and all(w in str(t.get("Title", "")).lower() for w in words)
             and t.get("Identifier") != spec.known_id and t.get("Identifier") not in spec.yearly_from]
    cands.sort(key=lambda t: str(t.get("Modified", "")), reverse=True)
    return sorted(cands, key=lambda t: str(t.get("OutputStatus") or REGULAR).lower() != REGULAR.lower())


def _soft(exc: IvbError) -> bool:
    """A failure that only rules out this table (not the whole source): not the deadline, not an
    unreachable host."""
    return "time limit" not in str(exc) and not isinstance(exc, Unreachable)


def tables_to_try(spec: TableSpec, budget: Budget, today: dt.date | None = None):
    """Yield the tables to read, best first: the known id while it fits; else (or after its download
    failed, when the caller asks for the next) the configured `yearly_from` tables, then the
    catalogue's; a table that answers but is discontinued or frozen (its `caveat`) only after every
    table that fits, the freshest first. Each table passed over is one line in `budget.notes`."""
    held: list[TableRef] = []
    why = ""
    yielded = False

    def consider(table_id: str, resolved_by: str):
        nonlocal why
        try:
            ref, whynot = inspect_table(spec, table_id, budget, resolved_by, today)
        except IvbError as exc:
            if not _soft(exc):
                raise
            ref, whynot = None, str(exc)
        if ref is None:
            return None, whynot
        if ref.caveat:
            budget.note(ref.caveat + " — looking for a successor")
            held.append(ref)
            return None, ref.caveat
        return ref, ""

    ref, why = consider(spec.known_id, "known id")
    if ref is not None:
        yielded = True
        yield ref
        why = f"table {spec.known_id} failed"
    for tid in spec.yearly_from:
        cand, whynot = consider(tid, f"configured successor ({why})")
        if cand is not None:
            if not yielded:
                budget.note(f"{why} — whole years read from the configured successor {tid} (data/live.yaml "
                            f"{spec.key}: yearly_from)")
            yielded = True
            yield cand
    try:
        candidates = catalogue_candidates(spec, budget)
    except IvbError as exc:
        if yielded or held or not _soft(exc):
            candidates = []
            if not _soft(exc):
                raise
        else:
            raise IvbError(f"{why}; the catalogue could not be searched for a successor ({exc})") from None
    for t in candidates:
        cand, _ = consider(str(t.get("Identifier")), f"catalogue ({why})")
        if cand is not None:
            if not yielded:
                budget.note(f"{why} — read from table {cand.id} found in the catalogue instead; to keep it, put "
                            f"known_id: {cand.id} in data/live.yaml ({spec.key})")
            yielded = True
            yield cand
    for ref in sorted(held, key=lambda r: (r.status.lower() not in ("", REGULAR.lower()),
                                           -(r.periods.newest_year or 0))):
        budget.note(f"no fresher table fits: {ref.caveat} — used as the last resort, and the reports say so")
        ref.resolved_by = f"{ref.resolved_by}; last resort"
        yielded = True
        yield ref
    if not yielded:
        raise IvbError(f"{why or 'no table fits'}; no other table in the catalogue fits (columns, NL01, categories and "
                       f"{'whole years' if spec.yearly else 'months'}) — if the publisher replaced it, put the new id in "
                       f"data/live.yaml ({spec.key}: known_id or yearly_from)")


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


def _chunks(n_areas: int, cats: list, periods: list[str], cap: int) -> list[tuple[list, list[str] | None]]:
    """Split categories x periods into requests that each expect at most `cap` rows for `n_areas`
    regions: whole categories together while they fit (periods None: the filter's own clause), else
    one category per request with as many periods as fit."""
    per_cat = n_areas * max(1, len(periods))
    if per_cat <= cap:
        k = max(1, cap // per_cat)
        return [(cats[i:i + k], None) for i in range(0, len(cats), k)]
    q = max(1, cap // max(1, n_areas))
    return [([c], periods[i:i + q]) for c in cats for i in range(0, len(periods), q)]


def _cells(spec: TableSpec, ref: TableRef, url: str, region_clause: str, area_keys: list[str], cats: list,
           period_keys: list[str], period_clause: str, select: list[str], budget: Budget, what: str) -> list[dict]:
    """Every row of regions x categories x periods, in requests of at most `spec.max_rows_per_request`
    expected rows (so that none needs paging; a next-page link is still followed, bounded), then
    checked complete: each requested cell once. A request whose answer lacks cells is asked once
    more; still lacking, it is one line naming what is missing."""
    dim = spec.category_dimension
    rows: list[dict] = []
    for cat_part, per_part in _chunks(len(area_keys), cats, period_keys, spec.max_rows_per_request):
        clauses = [region_clause]
        if dim:
            clauses.append("(" + " or ".join(f"{dim} eq '{ref.categories[c]['Key']}'" for c in cat_part) + ")")
        keys = per_part if per_part is not None else period_keys
        clauses.append("(" + " or ".join(f"Perioden eq '{k}'" for k in per_part) + ")" if per_part is not None
                       else period_clause)
        expected = {(a, c, k.strip()) for a in area_keys for c in (cat_part if dim else [""]) for k in keys}
        params = {"$filter": " and ".join(clauses), "$select": ",".join(select)}
        for attempt in (1, 2):
            got = get_pages(url, params, budget.renamed(what), max_pages=len(expected) + 1, max_rows=len(expected))
            seen: set = set()
            for r in got:
                if not isinstance(r, dict):
                    continue
                cell = (str(r.get("RegioS", "")).strip(), str(r.get(dim, "")).strip() if dim else "",
                        str(r.get("Perioden", "")).strip())
                if cell in seen:
                    raise IvbError(f"table {ref.id}: the answer holds {' '.join(x for x in cell if x)} twice — the "
                                   f"service's paging repeats rows; the cache is kept; try again later")
                seen.add(cell)
            lacking = sorted(expected - seen)
            if not lacking:
                break
            if attempt == 2:
                example = ", ".join(" ".join(x for x in cell if x) for cell in lacking[:3])
                raise IvbError(f"table {ref.id}: the answer lacks {len(lacking):,} of {len(expected):,} "
                               f"requested figures (e.g. {example}), also when asked again — the service dropped rows "
                               f"(its paging is known to); the cache is kept; try again later")
            budget.note(f"the answer lacked {len(lacking)} of {len(expected)} requested figures; asked again", warn=False)
        rows.extend(got)
    return rows


def download(spec: TableSpec, ref: TableRef, areas: list[str] | None, years: list[int] | None, budget: Budget) -> dict:
    """The raw rows for `areas` (e.g. GM1969 and NL01) and the spec's categories, keys padded as
    served, with the URL of the data set actually read. `areas=None`: every municipality the
    table has, and NL01, in filtered queries (substringof on the region key). Only the columns
    used are asked for, only whole years; every requested figure must arrive (`_cells`)."""
    what = f"table {ref.id} on {spec.host}"
    extra, classes = _columns(spec, ref)
    padded = ref.regions
    panel = areas is None
    if areas is None:
        areas = [a for a in padded if a.startswith("GM")] + ["NL01"]
        region_clause = f"(substringof('GM',RegioS) or RegioS eq '{padded['NL01']['Key']}')"
    else:
        for area in areas:
            if area not in padded:
                raise CodeError(f"{area} is not a region of table {ref.id} ({ref.title or spec.key}) — check the "
                                f"municipality code (current boundaries, e.g. GM1969)")
        region_clause = "(" + " or ".join(f"RegioS eq '{padded[a]['Key']}'" for a in areas) + ")"
    cats = list(spec.indicators) if spec.category_dimension else [""]
    wanted = ref.periods.wanted(set(years) if years else None) if spec.yearly else []
    if not wanted and spec.yearly:
        span = f"{years[0]}–{years[-1]}" if years else "any year"
        partial = "; ".join(f"{y}: {lbl}" for y, lbl in ref.periods.partial.items() if not years or y in years)
        raise IvbError(f"table {ref.id} has no whole year of figures for {span}"
                       + (f" (not yet complete: {partial})" if partial else "") + " — choose other --years")
    if years is None:
        # every year key (a partial year's too: it is left out when tidied, never compared as a year)
        period_keys, period_clause = list(ref.periods.year_keys), "substringof('JJ',Perioden)"
    else:
        period_keys = [ref.periods.keys[y] for y in wanted]
        period_clause = "(" + " or ".join(f"Perioden eq '{k}'" for k in period_keys) + ")"
    dim = [spec.category_dimension] if spec.category_dimension else []
    select = ["RegioS", "Perioden"] + dim + [spec.measure]
    select += [c for c in extra.values() if c not in select] + [c for cols in classes.values() for c in cols]
    url = spec.table_url(ref.id, "TypedDataSet")
    start = len(budget.urls)
    rows = _cells(spec, ref, url, region_clause, areas, cats, period_keys, period_clause, select, budget, what) \
        if spec.yearly else []
    partial = {y: lbl for y, lbl in ref.periods.partial.items() if (years is None or y in years) and spec.yearly}
    month_rows, month_url = [], None
    if spec.months and not panel and ref.periods.month_keys:
        # the monthly figures of every year (a few hundred rows): the current year to date and the
        # same months of the years before, for the monitor (issue #19)
        start_m = len(budget.urls)
        month_rows = _cells(spec, ref, url, region_clause, areas, cats, ref.periods.month_keys,
                            "substringof('MM',Perioden)", ["RegioS", "Perioden"] + dim + [spec.measure], budget, what)
        month_url = budget.urls[start_m]
    provisional = [y for y in ref.periods.provisional if y in wanted]
    newest = ref.periods.newest_year
    newest_marked = spec.newest_year_provisional and newest in wanted and newest not in provisional
    if newest_marked:
        provisional.append(newest)
    return {"rows": rows, "regions": {a: str(padded[a].get("Title", a)).strip() for a in areas},
            "month_rows": month_rows, "month_url": month_url,
            "url": budget.urls[start] if len(budget.urls) > start else url, "pages": len(budget.urls) - start,
            "periods": [ref.periods.keys[y].strip() for y in wanted], "extra_measures": extra,
            "class_measures": classes, "partial_years": {str(y): v for y, v in partial.items()},
            "provisional_years": sorted(provisional), "newest_marked_provisional": newest if newest_marked else None}


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
    write 0 for them); an indicator of several categories as their sum; derived class measures as
    their own indicator."""
    out = []
    partial = {int(y) for y in raw.get("partial_years", {})}
    cells: dict[tuple[str, int], dict[str, int | None]] = {}
    for r in raw["rows"]:
        m = YEAR_KEY.fullmatch(str(r.get("Perioden", "")).strip())
        if not m or int(m.group(1)) in partial:
            continue
        cat = str(r.get(spec.category_dimension, "")).strip() if spec.category_dimension else ""
        if cat not in spec.indicators:
            continue
        area = str(r["RegioS"]).strip()
        year = int(m.group(1))
        cells.setdefault((area, year), {})[cat] = _number(r[spec.measure], spec)
        name = raw["regions"].get(area, area)
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
    for (area, year), values in cells.items():
        for ind, value in spec.sums(values).items():
            out.append({"indicator": ind, "area_code": area, "area_name": raw["regions"].get(area, area),
                        "year": year, "value": value, "source_id": source_id})
    return out


def tidy_months(spec: TableSpec, raw: dict, source_id: str) -> list[dict]:
    """The monthly figures (periods YYYYMMnn) as tidy rows with a month column, the current
    year's months included (they are the point: the year to date); missing values skipped; an
    indicator of several categories as their sum."""
    cells: dict[tuple[str, int, int], dict[str, int | None]] = {}
    for r in raw.get("month_rows", []):
        m = MONTH_KEY.fullmatch(str(r.get("Perioden", "")).strip())
        cat = str(r.get(spec.category_dimension, "")).strip() if spec.category_dimension else ""
        if not m or cat not in spec.indicators:
            continue
        key = (str(r["RegioS"]).strip(), int(m.group(1)), int(m.group(2)))
        cells.setdefault(key, {})[cat] = _number(r[spec.measure], spec)
    out = []
    for (area, year, month), values in cells.items():
        for ind, value in spec.sums(values).items():
            out.append({"indicator": ind, "area_code": area, "area_name": raw["regions"].get(area, area),
                        "year": year, "month": month, "value": value, "source_id": source_id})
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
    newest = raw.get("newest_marked_provisional")
    partial = raw.get("partial_years") or {}
    note = (f"Tabel gevonden via {_how_nl(ref.resolved_by)}; tabel gewijzigd {ref.modified or 'onbekend'}"
            + (f", frequentie {ref.frequency}" if ref.frequency else "")
            + (f", status {ref.status}" if ref.status else "") + f"; opgehaald {retrieved_at}.")
    if ref.caveat_nl:
        note += f" Let op: {ref.caveat_nl}; er was geen actuelere tabel die past, dus deze is gebruikt."
    if not spec.yearly:
        note += " Alleen de maandcijfers gebruikt, voor de monitor (het lopende jaar tot nu); de jaarcijfers komen uit de jaartabel."
    elif ref.periods.monthly and ref.id != spec.known_id:
        note += " Alleen de jaarcijfers (JJ00) van deze maandtabel gebruikt."
    marked = [y for y in provisional if y != newest]
    if marked:
        note += f" Voorlopige cijfers: {', '.join(map(str, marked))} (status ‘Voorlopig’ in de tabel; kan nog wijzigen)."
    if newest:
        note += (f" Het nieuwste jaar ({newest}) geldt als voorlopig: de tabel noemt het ‘Definitief’, maar de politie werkt "
                 f"haar cijfers achteraf bij.")
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
    how, _, last = resolved_by.partition("; last resort")
    if how == "known id":
        text = "het bekende tabelnummer"
    elif how.startswith("configured successor"):
        text = "de ingestelde opvolger in data/live.yaml " + how.removeprefix("configured successor").strip()
    else:
        text = "de catalogus " + how.removeprefix("catalogue").strip()
    return text + (" (bij gebrek aan een actuelere tabel)" if _ or last else "")


def today() -> str:
    return dt.date.today().isoformat()
