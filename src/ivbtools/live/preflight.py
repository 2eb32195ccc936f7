"""`ivb fetch --check`: ask each assumption ivb makes about the live services once, with a few small
requests, and say per assumption whether it holds (issue #25).

No machine of this project reaches the services; what `data/live.yaml` assumes comes from public
evidence (public clients, projects that measured the services in 2026, the publishers' pages). The
first online run must say plainly which assumption broke. Per OData table: its status
(`OutputStatus`), the newest whole year and month, the configured columns and categories, whether
the catalogue still lists it and which host its own links name, the host of a first next-page link;
which table a fetch would read when the known one does not fit. For BRON: the expected yearly file
names (HEAD) and the header of the newest file (read with byte ranges, a few kilobytes). For the
population: whether the municipality exists in each year the policy compares. Every row is `ok`,
`note` (holds, with something worth knowing) or `DIFFERS` with one line naming the setting to
change. A fetch uses the same checks (odata.inspect_table): a broken assumption stops that source
with that line, never the whole run.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse

from ..data.municipalities import load_municipalities
from ..errors import IvbError
from ..yamlio import read_yaml
from . import bron, odata
from .neterrors import NETWORK_ERRORS
from .web import Budget, Unreachable, base_url, failure, get_json

OK, NOTE, DIFFERS = "ok", "note", "DIFFERS"


@dataclass
class Row:
    source: str
    what: str
    status: str      # OK | NOTE | DIFFERS
    text: str


@dataclass
class Preflight:
    rows: list[Row] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)   # host -> the line that said so

    def add(self, source: str, what: str, status: str, text: str) -> None:
        self.rows.append(Row(source, what, status, text))

    @property
    def differs(self) -> list[Row]:
        return [r for r in self.rows if r.status == DIFFERS]

    def lines(self, quiet: bool = False) -> list[str]:
        shown = [r for r in self.rows if not quiet or r.status == DIFFERS]
        width = max([len(r.what) for r in shown] + [10])
        return [f"{r.status:8}{r.source:21}{r.what:{width}}  {r.text}" for r in shown]


def _years_compared(data_dir: Path) -> list[int]:
    """The baseline and target years of the policy files (the years a rate per 1,000 is shown for)."""
    years: set[int] = set()
    for path in sorted((data_dir / "targets").glob("*.yaml")):
        try:
            doc = read_yaml(path) or {}
        except IvbError:
            continue
        for theme in doc.get("themes", []) if isinstance(doc, dict) else []:
            for part in (theme.get("parts") or []) if isinstance(theme, dict) else []:
                rule = part.get("rule") if isinstance(part, dict) else None
                if isinstance(rule, dict):
                    years |= {int(rule[k]) for k in ("baseline_year", "target_year") if str(rule.get(k, "")).isdigit()}
    return sorted(years)


def _odata(pf: Preflight, spec: odata.TableSpec, budget: Budget) -> odata.TableRef | None:
    """The checks of one OData table; the table a fetch would read (None when none would)."""
    key, tid = spec.key, spec.known_id
    if spec.host in pf.unreachable:
        pf.add(key, f"table {tid}", DIFFERS, pf.unreachable[spec.host])
        return None
    try:
        ref, why = odata.inspect_table(spec, tid, budget, "known id")
    except Unreachable as exc:
        pf.unreachable[spec.host] = str(exc)
        pf.add(key, f"table {tid}", DIFFERS, str(exc))
        return None
    except IvbError as exc:
        ref, why = None, str(exc)
    if ref is None:
        pf.add(key, f"table {tid}", DIFFERS, f"{why} — {_successor(spec, budget)}")
        return None
    pf.add(key, f"table {tid}", OK, f"{ref.title or '(no title)'}; columns and categories as configured")
    status = ref.status or "(not given)"
    if ref.status and ref.status.lower() != odata.REGULAR.lower():
        pf.add(key, "  status", DIFFERS, f"OutputStatus '{status}', not '{odata.REGULAR}' — {_successor(spec, budget)}")
    else:
        pf.add(key, "  status", OK if ref.status else NOTE, status)
    fresh = spec.fresh_year()
    if spec.yearly:
        newest = ref.periods.newest_year
        if newest is not None and newest < fresh:
            pf.add(key, "  newest whole year", DIFFERS, f"{newest}, but {fresh} or later is due — the table looks frozen; "
                                                        f"{_successor(spec, budget)}")
        else:
            provisional = " (counted as provisional: newest_year_provisional)" if spec.newest_year_provisional else ""
            pf.add(key, "  newest whole year", OK, f"{newest}{provisional}")
        statuses = sorted(set(ref.periods.statuses))
        if statuses:
            pf.add(key, "  period status", NOTE if statuses == ["Definitief"] and spec.newest_year_provisional else OK,
                   ", ".join(statuses) + ("; the newest year is marked provisional by setting, not by its status"
                                          if spec.newest_year_provisional else ""))
    if ref.periods.month_keys or spec.months:
        month = ref.periods.newest_month
        if spec.months and month is None:
            pf.add(key, "  newest month", DIFFERS, f"no monthly figures — set months: false in data/live.yaml ({key})")
        elif not spec.yearly and ref.caveat:
            pf.add(key, "  newest month", DIFFERS, f"{ref.caveat}; {_successor(spec, budget)}")
        else:
            pf.add(key, "  newest month", OK, month or "–")
    if ref.periods.partial:
        pf.add(key, "  not a whole year yet", NOTE, "; ".join(f"{y} ({lbl})" for y, lbl in sorted(ref.periods.partial.items())))
    extra, classes = odata._columns(spec, ref)
    for ind in spec.class_measures:
        if ind not in classes:
            pf.add(key, f"  {ind}", DIFFERS, f"the class columns ({', '.join(spec.class_measures[ind])}) are not in the "
                                             f"table — peers are then chosen by population alone; update class_measures "
                                             f"in data/live.yaml ({key})")
        else:
            pf.add(key, f"  {ind}", OK, ", ".join(classes[ind]))
    _catalogue_listing(pf, spec, budget)
    _next_link_host(pf, spec, ref, budget)
    return ref


def _successor(spec: odata.TableSpec, budget: Budget) -> str:
    """Which table a fetch would read instead (the same choice as `ivb fetch`)."""
    probe = budget.renamed(budget.what)
    probe.notes = []
    try:
        for ref in odata.tables_to_try(spec, probe):
            if ref.id == spec.known_id:
                continue
            last = " (as the last resort)" if "last resort" in ref.resolved_by else ""
            return (f"a fetch reads table {ref.id} instead{last} (found via {ref.resolved_by.split(' (')[0]}); to make it "
                    f"the known table, set known_id: {ref.id} in data/live.yaml ({spec.key})")
        return (f"no successor fits; a fetch uses the table as it is, if it answers — put a new id in data/live.yaml "
                f"({spec.key}: known_id or yearly_from)")
    except IvbError as exc:
        return f"no successor found ({exc}) — put a new id in data/live.yaml ({spec.key}: known_id or yearly_from)"


def _catalogue_listing(pf: Preflight, spec: odata.TableSpec, budget: Budget) -> None:
    """Does the catalogue still list the table, with which status, and which host do its own links name."""
    try:
        rows = odata.get_pages(f"{spec.base_url}/ODataCatalog/Tables",
                               {"$filter": f"Identifier eq '{spec.known_id}'",
                                "$select": "Identifier,Title,OutputStatus,Modified,ApiUrl"},
                               budget.renamed(f"the catalogue on {spec.host}"))
    except IvbError as exc:
        pf.add(spec.key, "  in the catalogue", NOTE, f"the catalogue could not be asked ({exc})")
        return
    rows = [r for r in rows if isinstance(r, dict) and r.get("Identifier") == spec.known_id]
    if not rows:
        pf.add(spec.key, "  in the catalogue", DIFFERS, f"{spec.known_id} is not listed in the catalogue (it still answers: "
                                                        f"discontinued or withdrawn?); check its status and yearly_from "
                                                        f"in data/live.yaml ({spec.key})")
        return
    host = urlparse(str(rows[0].get("ApiUrl") or "")).netloc
    pf.add(spec.key, "  in the catalogue", OK, f"listed, status {rows[0].get('OutputStatus') or '(not given)'}"
                                                + (f"; its links name host {host}" if host and host != spec.host else ""))


def _next_link_host(pf: Preflight, spec: odata.TableSpec, ref: odata.TableRef, budget: Budget) -> None:
    """The host of the first next-page link of the data set (one request for the row ids only)."""
    url = spec.table_url(ref.id, "TypedDataSet")
    b = budget.renamed(f"table {ref.id} on {spec.host}")
    try:
        body = get_json(url + "?" + urlencode({"$format": "json", "$select": "ID"}), b)
    except IvbError as exc:
        pf.add(spec.key, "  next-page links", DIFFERS, f"the data set could not be read ({exc})")
        return
    link = body.get("odata.nextLink") if isinstance(body, dict) else None
    if not link:
        pf.add(spec.key, "  next-page links", NOTE, "none on the first page (fewer rows than a page)")
        return
    host = urlparse(str(link)).netloc
    if host != spec.host:
        pf.add(spec.key, "  next-page links", NOTE, f"name host {host}; ivb follows them on {spec.host} (nothing to change)")
    else:
        pf.add(spec.key, "  next-page links", OK, f"on {host}")


def _population(pf: Preflight, spec: odata.TableSpec, ref: odata.TableRef, area: str, years: list[int],
                budget: Budget, municipalities) -> None:
    """Whether the municipality has a population in each year the policy compares."""
    if area not in ref.regions:
        pf.add(spec.key, f"  {area}", DIFFERS, f"{area} is not a region of table {ref.id}")
        return
    try:
        rows = odata.get_pages(spec.table_url(ref.id, "TypedDataSet"),
                               {"$filter": f"RegioS eq '{ref.regions[area]['Key']}'",
                                "$select": f"RegioS,Perioden,{spec.measure}"},
                               budget.renamed(f"table {ref.id} on {spec.host}"), max_rows=len(ref.periods.year_keys) * 20 + 50)
    except IvbError as exc:
        pf.add(spec.key, f"  {area} population", DIFFERS, str(exc))
        return
    have = sorted({int(str(r.get("Perioden", ""))[:4]) for r in rows if isinstance(r, dict)
                   and odata.YEAR_KEY.fullmatch(str(r.get("Perioden", "")).strip())
                   and odata._number(r.get(spec.measure), spec) not in (None, 0)})
    missing = [y for y in years if y not in have and y <= (ref.periods.newest_year or 0)]
    if not missing:
        pf.add(spec.key, f"  {area} population", OK, f"every year compared ({', '.join(map(str, years))})")
        return
    m = municipalities.by_code.get(area) if municipalities is not None else None
    why = (f"{m.name} exists since {m.valid_from}: CBS counts each year on that year's boundaries, so no rate per "
           f"1,000 for those years (docs/methods.md 9)") if m is not None and m.valid_from and \
        all(y < m.valid_from for y in missing) else "no population for these years: no rate per 1,000 for them"
    pf.add(spec.key, f"  {area} population", NOTE, f"none for {', '.join(map(str, missing))} — {why}")


class _RangeFile(io.RawIOBase):
    """A remote file read with HTTP byte ranges, in blocks: enough for zipfile to read a member's
    first lines without downloading the whole zip."""

    BLOCK = 1 << 16

    def __init__(self, url: str, size: int, budget: Budget):
        self.url, self.size, self.budget, self.pos = url, size, budget, 0
        self.blocks: dict[int, bytes] = {}
        self.requests = 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.size + offset
        return self.pos

    def _block(self, n: int) -> bytes:
        if n not in self.blocks:
            lo, hi = n * self.BLOCK, min(self.size, (n + 1) * self.BLOCK) - 1
            resp = self.budget.session.get(self.url, headers={"Range": f"bytes={lo}-{hi}"}, timeout=self.budget.request_timeout(),
                                           stream=True)
            self.requests += 1
            if resp.status_code != 206:
                resp.close()
                raise IvbError("the server does not serve byte ranges")
            self.blocks[n] = resp.raw.read(hi - lo + 1, decode_content=True)
            self.budget.count(len(self.blocks[n]))
        return self.blocks[n]

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        out = bytearray()
        while self.pos < end:
            block = self._block(self.pos // self.BLOCK)
            start = self.pos % self.BLOCK
            take = block[start:start + end - self.pos]
            if not take:
                break
            out += take
            self.pos += len(take)
        return bytes(out)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def _bron(pf: Preflight, cfg: dict, budget: Budget) -> None:
    from .fetch import bron_files

    base = base_url(cfg)
    host = urlparse(base).netloc
    files = bron_files(cfg, None)
    found: list[tuple[dict, int]] = []
    later: list[tuple] = []   # per-file rows, after the summary row
    for i, period in enumerate(files):
        url = f"{base}/{period['file']}"
        try:
            resp = budget.session.head(url, timeout=budget.request_timeout(), allow_redirects=True)
        except NETWORK_ERRORS as exc:
            err = failure(exc, f"BRON on {host}", budget.timeout, url)
            pf.add("bron", "files", DIFFERS, str(err))
            return
        if resp.status_code == 200:
            found.append((period, int(resp.headers.get("Content-Length") or 0)))
        elif resp.status_code == 404 and i == len(files) - 1 and not cfg.get("periods"):
            later.append(("bron", f"  {period['file']}", NOTE, "not published yet (HTTP 404): the years before are used"))
        else:
            later.append(("bron", f"  {period['file']}", DIFFERS, f"HTTP {resp.status_code} — check the name against "
                                                                   f"Rijkswaterstaat's download page (data/live.yaml "
                                                                   f"bron.file_pattern)"))
    if found:
        years = [f"{p['first']}" if p["first"] == p["last"] else f"{p['first']}-{p['last']}" for p, _ in found]
        pf.add("bron", "files", OK if len(found) + 1 >= len(files) else DIFFERS,
               f"{len(found)} of {len(files)} found under the configured name ({years[0]} … {years[-1]})")
    else:
        pf.add("bron", "files", DIFFERS, f"none of {len(files)} found — check data/live.yaml (bron.file_pattern, bron.base_url)")
    for row in later:
        pf.add(*row)
    if not found:
        return
    period, size = found[-1]
    url = f"{base}/{period['file']}"
    member = cfg.get("member", bron.MEMBER)
    try:
        rf = _RangeFile(url, size, budget)
        with zipfile.ZipFile(io.BufferedReader(rf, buffer_size=1 << 16)) as zf:
            name = bron.find_member(zf, member)
            if name is None:
                pf.add("bron", f"  {period['file']} layout", DIFFERS, f"no {member.rsplit('/', 1)[-1]} inside — update "
                                                                      f"data/live.yaml (bron.member)")
                return
            with zf.open(name) as raw:
                first = raw.readline(1 << 16)
    except IvbError as exc:
        pf.add("bron", f"  {period['file']} header", NOTE, f"not read here ({exc}); the fetch checks it")
        return
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, *NETWORK_ERRORS) as exc:
        pf.add("bron", f"  {period['file']} header", NOTE, f"not read here ({type(exc).__name__}); the fetch checks it")
        return
    text = first.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    delimiter = max(",;|\t", key=text.count)
    header = [h.strip().strip('"') for h in next(csv.reader([text], delimiter=delimiter))]
    missing = [c for c in bron.REQUIRED if c not in header]
    if missing:
        pf.add("bron", f"  {period['file']} header", DIFFERS, f"no column {', '.join(missing)} — the BRON format changed")
        return
    absent = [f"{col} ({bron.INDICATORS[what]})" for what, col in bron.NEEDS.items() if col not in header]
    pf.add("bron", f"  {period['file']} header", NOTE if absent else OK,
           f"{len(header)} columns, the required ones present" + (f"; absent: {', '.join(absent)} — no such figure for "
                                                                  f"this year (never 0)" if absent else "")
           + f" (read with {rf.requests} range requests)")


def check(data_dir: Path, area: str, timeout: float = 30.0, source_timeout: float = 120.0,
          only: set[str] | None = None) -> Preflight:
    """Every assumption of data/live.yaml, asked of the services once."""
    data_dir = Path(data_dir)
    cfg = read_yaml(data_dir / "live.yaml")
    pf = Preflight()
    municipalities = load_municipalities(data_dir)
    years = _years_compared(data_dir)
    for d in cfg.get("odata", []):
        spec = odata.TableSpec.from_yaml(d)
        if only and spec.key not in only:
            continue
        budget = Budget.start(timeout, source_timeout, spec.key)
        try:
            ref = _odata(pf, spec, budget)
            if ref is not None and not spec.category_dimension and "population" in spec.indicator_ids:
                _population(pf, spec, ref, area, years, budget, municipalities)
        except Unreachable as exc:
            pf.unreachable[spec.host] = str(exc)
            pf.add(spec.key, f"table {spec.known_id}", DIFFERS, str(exc))
        except IvbError as exc:
            pf.add(spec.key, f"table {spec.known_id}", DIFFERS, str(exc))
    if cfg.get("bron") and (not only or "bron" in only):
        budget = Budget.start(timeout, source_timeout, "bron")
        try:
            _bron(pf, cfg["bron"], budget)
        except IvbError as exc:
            pf.add("bron", "files", DIFFERS, str(exc))
    return pf


__all__ = ["check", "Preflight", "OK", "NOTE", "DIFFERS"]
