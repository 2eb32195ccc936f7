"""A local HTTP server on 127.0.0.1 that replays CBS OData v3 and the BRON downloads.

It behaves as the real services are documented and measured to behave in late 2026 (cbsodata,
cbsodataR, CBS's own examples, public scripts that read BRON, projects that measured the services
live between July and October 2026), not as a friendly fixture:

- the service document, TableInfos (with `Frequency` and `OutputStatus`), DataProperties, dimension
  entity sets with fixed-width padded keys, TypedDataSet pages chained with odata.nextLink — and
  those links, like the catalogue's own self-links, name the service's internal host
  (dataderden.prod.cbsp.nl), which no client can reach (`next_host`);
- `$filter` with `eq`, `substringof('x',Field)`, `and`/`or`, and `$select` (an unknown column
  is HTTP 400; without `$select` every column comes back: the population table is wide);
- the catalogue (`ODataCatalog/Tables`) with `$filter` on the title and `$select`, listing the
  monthly crime table 47013NED, which holds whole years (`JJ00`) beside its months;
- the police label every period 'Definitief', the newest year included; the years run up to last
  year (relative to today), the current year partial (the months so far) in the monthly tables;
- the population table on each year's own municipalities: Westerkwartier (GM1969) from 2019, its
  predecessors before; the police tables on today's municipalities for every year (back-cast);
- the police region list with the pseudo-municipalities GM0998 and GM0999;
- BRON as one zip per year under a folder of the same name, older years in Windows-1252,
  the newest year not yet published (404); byte ranges (`Range`) and HEAD are served;
- faults on demand: HTTP 500, a dropped connection (`drop`, or `resets[path] = n` for the next
  n requests only), a hang, a body cut off (`cutoffs[path] = n`), an HTML maintenance page,
  pages that silently leave out rows (`omit[path] = n`).

All numbers are hand-made test fixtures, not real figures.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

PAGE = 4  # rows per TypedDataSet page, small so that paging is exercised (the real feed: 10,000)
INTERNAL_HOST = "dataderden.prod.cbsp.nl"   # the host the service names in its own links (measured July 2026)

REGIONS = [("NL01  ", "Nederland"), ("GM0014", "Groningen"), ("GM1969", "Westerkwartier")]
PSEUDO = [("GM0998", "Buitenland"), ("GM0999", "Gemeenten; niet in te delen")]
# Westerkwartier's predecessors (merged on 1 January 2019), in the population table up to 2018
PREDECESSORS = [("GM0015", "Grootegast"), ("GM0022", "Leek"), ("GM0025", "Marum"), ("GM0056", "Zuidhorn")]
TODAY = dt.date.today()
YEARS = range(2017, TODAY.year)          # whole years up to last year, as the service has them now
PARTIAL_YEAR = TODAY.year                # the monthly tables' current year: the months so far only
PARTIAL_MONTHS = max(1, TODAY.month - 1)   # (monthly figures appear around the 15th of the next month)
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december"]
WIDE_COLUMNS = 240           # the population table's further columns (the real one has several hundred)
CLASS_COLUMNS = ["ZeerSterkStedelijk_52", "SterkStedelijk_53", "MatigStedelijk_54", "WeinigStedelijk_55", "NietStedelijk_56"]


def _fixture_value(*parts) -> int:
    """A deterministic, obviously synthetic count from the key (not a real figure)."""
    return sum(ord(c) for c in "".join(map(str, parts))) % 97 + 10


def _topic(i: int, key: str, title: str) -> dict:
    return {"odata.type": "Cbs.OData.Topic", "ID": i, "Position": i, "ParentID": None, "Type": "Topic", "Key": key,
            "Title": title, "Description": "", "Datatype": "Long", "Unit": "aantal", "Decimals": 0, "Default": "Zero",
            "PresentationType": "Absolute"}


def _periods(years, monthly: bool, partial: int | None, partial_months: int | None = None) -> list[dict]:
    """The Perioden set as the police serve it: whole years, and with `monthly` every month, every
    one 'Definitief' (the newest year too, although the police revise it afterwards); `partial`: a
    current year with months up to PARTIAL_MONTHS beside its year key."""
    years = list(years)
    out = []
    for y in years:
        out.append({"Key": f"{y}JJ00", "Title": str(y), "Description": "", "Status": "Definitief"})
        if monthly:
            out += [{"Key": f"{y}MM{m:02d}", "Title": f"{y} {MONTHS[m - 1]}", "Description": "", "Status": "Definitief"}
                    for m in range(1, 13)]
    if partial:
        out.append({"Key": f"{partial}JJ00", "Title": str(partial), "Description": "", "Status": "Definitief"})
        out += [{"Key": f"{partial}MM{m:02d}", "Title": f"{partial} {MONTHS[m - 1]}", "Description": "",
                 "Status": "Definitief"} for m in range(1, (partial_months or PARTIAL_MONTHS) + 1)]
    return out


def police_table(table_id, title, dim, dim_title, keys, measure, modified="2024-03-01T02:00:00", frequency="Perjaar",
                 monthly=False, partial=None, regions=None, years=YEARS, partial_months=None):
    """A police table: every category x region x period, the national figure 100 times a region's."""
    regions = regions if regions is not None else REGIONS + PSEUDO
    partial_months = partial_months or PARTIAL_MONTHS
    periods = _periods(years, monthly, partial, partial_months)
    rows, i = [], 0
    for cat, _ in keys:
        for reg, _ in regions:
            for p in periods:
                y, m = int(p["Key"][:4]), p["Key"][4:]
                v = _fixture_value(table_id, cat, reg, y) * (100 if reg.startswith("NL") else 1)
                if m.startswith("MM"):
                    v = max(0, v // 12 + int(m[2:]) % 3)
                elif y == partial:
                    v = v * partial_months // 12
                rows.append({"ID": i, dim: cat, "RegioS": reg, "Perioden": p["Key"], measure: v})
                i += 1
    props = [
        {"odata.type": "Cbs.OData.Dimension", "ID": 0, "Position": 0, "ParentID": None, "Type": "Dimension", "Key": dim, "Title": dim_title, "Description": ""},  # noqa: E501
        {"odata.type": "Cbs.OData.GeoDimension", "ID": 1, "Position": 1, "ParentID": None, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's", "Description": ""},  # noqa: E501
        {"odata.type": "Cbs.OData.TimeDimension", "ID": 2, "Position": 2, "ParentID": None, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden", "Description": ""},  # noqa: E501
        _topic(3, measure, "Aantal"),
    ]
    return {
        "info": {"ID": 0, "Title": title, "ShortTitle": title[:40], "Identifier": table_id, "Summary": "fixture",
                 "Modified": modified, "MetaDataModified": modified, "ReasonDelivery": "Actualisering",
                 "Frequency": frequency, "Period": f"{min(years)}-{partial or max(years)}", "Language": "nl",
                 "Catalog": "Politie", "OutputStatus": "Regulier"},
        "sets": {"DataProperties": props,
                 dim: [{"Key": k, "Title": t, "Description": "", "CategoryGroupID": None} for k, t in keys],
                 "RegioS": [{"Key": k, "Title": t, "Description": ""} for k, t in regions],
                 "Perioden": periods,
                 "CategoryGroups": [],
                 "TypedDataSet": rows},
    }


def wide_population(rows: list[dict], regions, years, modified="2024-03-01T02:00:00") -> dict:
    """The population table as CBS serves it: one row per region and year with several hundred
    columns (made-up values), among them TotaleBevolking_1 and the population per urbanisation
    class ZeerSterkStedelijk_52 .. NietStedelijk_56; no column for the municipality's class. The
    filler columns are made when a row is served (a request without $select gets all of them)."""
    filler = [f"Onderwerp{k}_{k}" for k in range(2, 52)] + [f"Onderwerp{k}_{k}" for k in range(57, 57 + WIDE_COLUMNS - 55)]
    names = ["TotaleBevolking_1"] + filler[:50] + CLASS_COLUMNS + filler[50:]
    props = [
        {"odata.type": "Cbs.OData.GeoDimension", "ID": 0, "Position": 0, "ParentID": None, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's", "Description": ""},  # noqa: E501
        {"odata.type": "Cbs.OData.TimeDimension", "ID": 1, "Position": 1, "ParentID": None, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden", "Description": ""},  # noqa: E501
    ] + [_topic(k + 2, n, n) for k, n in enumerate(names)]
    full = []
    for i, r in enumerate(rows):
        pop, shares = r["TotaleBevolking_1"], r.get("classes")
        row = {"ID": i, "RegioS": r["RegioS"], "Perioden": r["Perioden"], "TotaleBevolking_1": pop}
        for c, n in enumerate(CLASS_COLUMNS):
            row[n] = None if shares is None or pop is None else int(pop * shares[c])
        full.append(row)
    years = list(years)
    return {
        "info": {"ID": 0, "Title": "Regionale kerncijfers Nederland", "ShortTitle": "Regionale kerncijfers",
                 "Identifier": "70072ned", "Summary": "fixture", "Modified": modified, "MetaDataModified": modified,
                 "ReasonDelivery": "Actualisering", "Frequency": "Perjaar", "Period": f"{years[0]}-{years[-1]}",
                 "Language": "nl", "Catalog": "CBS", "OutputStatus": "Regulier"},
        "wide": filler,
        "sets": {"DataProperties": props,
                 "RegioS": [{"Key": k, "Title": t, "Description": ""} for k, t in regions],
                 "Perioden": [{"Key": f"{y}JJ00", "Title": str(y) + ("*" if y == years[-1] else ""), "Description": "",
                               "Status": "Voorlopig" if y == years[-1] else "Definitief"} for y in years],
                 "CategoryGroups": [],
                 "TypedDataSet": full},
    }


def _filler(row: dict, column: str) -> int:
    return (int(row.get("ID", 0)) * 7 + len(column)) % 1000   # made up


# invented shares of the population per urbanisation class (very strongly .. not urban)
CLASS_SHARES = {"GM0014": (0.55, 0.25, 0.1, 0.05, 0.05), "GM1969": (0.0, 0.05, 0.15, 0.3, 0.5)}


def population_table():
    """CBS's population table on each year's own municipalities: a row for every region and year
    (the cube is complete), empty where the municipality did not exist that year — Westerkwartier
    (GM1969) from 2019 only, its four predecessors up to 2018."""
    rows = []
    for reg, _ in REGIONS + PREDECESSORS:
        for y in YEARS:
            exists = reg != "GM1969" or y >= 2019
            if reg in dict(PREDECESSORS):
                exists = y < 2019
            v = 17_000_000 + y if reg.startswith("NL") else 60_000 + _fixture_value(reg, y)
            if reg in dict(PREDECESSORS):
                v = 15_000 + _fixture_value(reg, y)
            rows.append({"RegioS": reg, "Perioden": f"{y}JJ00", "TotaleBevolking_1": v if exists else None,
                         "classes": CLASS_SHARES.get(reg.strip()) if exists else None})
    return wide_population(rows, REGIONS + PREDECESSORS, YEARS)


def discontinued(table: dict, newest: int, status: str = "Gediscontinueerd") -> dict:
    """A copy of a replay table as a discontinued or frozen table still answers: its status, and no
    period after `newest` (rows and period list)."""
    import copy

    t = copy.deepcopy(table)
    t["info"]["OutputStatus"] = status
    t["sets"]["Perioden"] = [p for p in t["sets"]["Perioden"] if int(p["Key"][:4]) <= newest]
    t["sets"]["TypedDataSet"] = [r for r in t["sets"]["TypedDataSet"] if int(str(r["Perioden"])[:4]) <= newest]
    return t


CRIMES = [("0.0.0 ", "Totaal misdrijven"), ("1.1.1 ", "1.1.1 Diefstal/inbraak woning"), ("2.5.2 ", "2.5.2 Winkeldiefstal"),
          ("3.7.4 ", "3.7.4 Cybercrime"), ("3.1.3 ", "3.1.3 Wapenhandel"), ("1.6.1 ", "1.6.1 Brand/ontploffing"),
          ("1.4.5 ", "1.4.5 Mishandeling"), ("3.1.1 ", "3.1.1 Drugshandel"), ("1.6.3 ", "1.6.3 Mensenhandel"),
          ("2.5.1 ", "2.5.1 Diefstal/inbraak bedrijven enz."),
          # appended (issue #27): the categories other municipalities' targets name most
          ("2.2.1 ", "2.2.1 Vernieling cq. zaakbeschadiging"), ("1.2.1 ", "1.2.1 Diefstal uit/vanaf motorvoertuigen"),
          ("1.2.2 ", "1.2.2 Diefstal van motorvoertuigen"), ("1.2.3 ", "1.2.3 Diefstal van brom-, snor-, fietsen"),
          ("1.4.1 ", "1.4.1 Zedenmisdrijf"), ("1.4.2 ", "1.4.2 Moord, doodslag"), ("1.4.3 ", "1.4.3 Openlijk geweld (persoon)"),
          ("1.4.4 ", "1.4.4 Bedreiging"), ("1.4.6 ", "1.4.6 Straatroof"), ("1.4.7 ", "1.4.7 Overval")]
NUISANCE = [("0.0.0 ", "Totaal registraties overlast"), ("E33   ", "Overlast door verward persoon"),
            ("E35   ", "Melding overlast jeugd"), ("E38   ", "Overlast ivm alcohol/ drugs")]


def default_tables():
    return {
        "47025NED": police_table("47025NED", "Geregistreerde misdrijven; soort misdrijf, regio", "SoortMisdrijf",
                                 "Soort misdrijf", CRIMES, "GeregistreerdeMisdrijven_1"),
        # the monthly crime table: same columns, newer, months with a partial current year and whole
        # years (JJ00) beside them: the configured successor of 47025NED (data/live.yaml yearly_from)
        "47013NED": police_table("47013NED", "Geregistreerde misdrijven en aangiften; soort misdrijf, gemeente",
                                 "SoortMisdrijf", "Soort misdrijf", CRIMES, "GeregistreerdeMisdrijven_1",
                                 modified="2026-11-15T02:00:00", frequency="Permaand", monthly=True, partial=PARTIAL_YEAR),
        "47021NED": police_table("47021NED", "Geregistreerde overlast; soort overlast, regio", "Overlast", "Soort overlast",
                                 NUISANCE, "GeregistreerdeOverlast_1", frequency="Permaand", monthly=True,
                                 partial=PARTIAL_YEAR),
        "70072ned": population_table(),
    }


BRON_HEADER = "VKL_NUMMER,REGNUMMER,PVOPGEM,DATUM_VKL,JAAR_VKL,AP3_CODE,ANTL_DOD,ANTL_SLA,ANTL_GZH,ANTL_SEH,GME_ID,GME_NAAM,PVE_CODE,PVE_NAAM"
# Hand-made accident records: (year, outcome, casualties, GME_ID, GME_NAAM)
BRON_ROWS = [
    (2020, "UMS", 0, "1969", "Westerkwartier"), (2020, "UMS", 0, "1969", "Westerkwartier"),
    (2020, "LET", 2, "1969", "Westerkwartier"), (2020, "DOD", 1, "1969", "Westerkwartier"),
    (2023, "UMS", 0, "1969", "Westerkwartier"), (2023, "LET", 1, "1969", "Westerkwartier"),
    (2020, "LET", 3, "14", "Groningen"), (2023, "UMS", 0, "14", "Groningen"), (2023, "LET", 1, "14", "Groningen"),
    (2023, "UMS", 0, "", ""),  # no municipality: counts nationally only
    (2019, "LET", 1, "1900", "Súdwest-Fryslân"), (2019, "UMS", 0, "1969", "Westerkwartier"),
]
UTF8_FROM = 2022   # older BRON years are Windows-1252 (latin-1) text, newer ones UTF-8


def bron_zip(rows=BRON_ROWS, delimiter=",", prefix="", cut_last_record=False, encoding="utf-8",
             drop_columns=(), empty_columns=()) -> bytes:
    """A BRON zip in the real layout. `prefix` puts everything under a top-level folder (as the
    per-year downloads are laid out); `cut_last_record` ends ongevallen.txt in the middle of its
    last record; `encoding` as the file is written (cp1252 for older years); `drop_columns` leaves
    columns out (2025-era files may lack ANTL_SLA), `empty_columns` keeps them with no values."""
    header = BRON_HEADER.split(",")
    keep = [i for i, c in enumerate(header) if c not in drop_columns]
    blank = {header.index(c) for c in empty_columns if c in header}
    lines = [delimiter.join(header[i] for i in keep)]
    for n, (year, ap3, sla, gme, naam) in enumerate(rows, start=1):
        dod = sla if ap3 == "DOD" else 0
        rec = [f"{year}{n:06d}", "", "", f"{year}0101", year, ap3, dod, sla, 0, 0, gme, naam, "GR", "Groningen"]
        lines.append(delimiter.join("" if i in blank else str(rec[i]) for i in keep))
    text = "\r\n".join(lines) + "\r\n"
    if cut_last_record:
        text = text[: text.rstrip("\r\n").rfind(delimiter * 2)]   # stops inside the last record
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(prefix + "Ongevallengegevens/ongevallen.txt", text.encode(encoding))
        zf.writestr(prefix + "Ongevallengegevens/partijen.txt", "VKL_NUMMER,NUMMER\r\n")
        zf.writestr(prefix + "ReferentiebestandenOngevallen/aflopen3.txt", "AP3_CODE,AP3_OMS\r\nDOD,Dodelijk\r\nLET,Letsel\r\nUMS,Uitsluitend materiele schade\r\n")  # noqa: E501
        zf.writestr(prefix + "Netwerkgegevens/puntlocaties.txt", "FK_VELD5,X_COORD,Y_COORD\r\n")
    return buf.getvalue()


def bron_name(year: int) -> str:
    return f"01-01-{year}_31-12-{year}.zip"


def last_bron_year() -> int:
    """The newest year the replay publishes: the year before last (last year's is not out yet)."""
    return dt.date.today().year - 2


def bron_year_files(rows=BRON_ROWS, first: int = 2017, last: int | None = None, **kw) -> dict[str, bytes]:
    """One zip per year, as published: 01-01-YYYY_31-12-YYYY.zip with everything under a folder of
    that name, years before UTF8_FROM in Windows-1252."""
    last = last if last is not None else last_bron_year()
    return {bron_name(y): bron_zip([r for r in rows if r[0] == y], prefix=bron_name(y).removesuffix(".zip") + "/",
                                   encoding="utf-8" if y >= UTF8_FROM else "cp1252", **kw)
            for y in range(first, last + 1)}


BRON_LAST_MODIFIED = "Tue, 02 Apr 2024 08:00:00 GMT"
MAINTENANCE = b"<!DOCTYPE html><html><head><title>Onderhoud</title></head><body>Wegens onderhoud niet beschikbaar</body></html>"

_CLAUSE = re.compile(r"(\w+) eq '([^']*)'|substringof\('([^']*)',\s*(\w+)\)")


def compile_filter(expr: str):
    """An OData $filter of eq / substringof clauses joined by 'and' / 'or' with parentheses, as a
    function of a row (compiled once per request, so a large table is filtered fast)."""
    consts: list[tuple[str, str]] = []

    def clause(m):
        consts.append((m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3)))
        k = len(consts) - 1
        return f"(_s(r.get(_f[{k}])) == _v[{k}])" if m.group(1) else f"(_v[{k}] in _s(r.get(_f[{k}])))"
    py = _CLAUSE.sub(clause, expr)
    rest = re.sub(r"\(_s\(r\.get\(_f\[\d+\]\)\) == _v\[\d+\]\)|\(_v\[\d+\] in _s\(r\.get\(_f\[\d+\]\)\)\)", "", py)
    if set(re.findall(r"[a-zA-Z_]+", rest)) - {"and", "or", "not"} or re.search(r"[^\sa-z()]", rest):
        raise ValueError(f"unsupported $filter: {expr}")
    fields, values = [c[0] for c in consts], [c[1] for c in consts]
    return eval(f"lambda r: {py}", {"__builtins__": {}, "_s": str, "_f": fields, "_v": values})   # noqa: S307


class Replay:
    """Start with `with Replay() as r:`; r.url is the base URL; set r.faults[path_part] = mode."""

    def __init__(self, tables=None, bron: bytes | dict | None = None, page: int = PAGE, next_host: str | None = INTERNAL_HOST):
        self.tables = tables or default_tables()
        self.page = page   # rows per TypedDataSet page (the real feed serves up to 10,000)
        # the host named in next-page links and catalogue self-links (None: the replay's own)
        self.next_host = next_host
        self.omit: dict[str, int] = {}     # path part -> leave the first row out of the next n data pages
        self._answers: dict = {}           # a query's filtered rows, shared by its pages
        # BRON: {file name: zip bytes}; plain bytes: one multi-year file 01-01-2014_31-12-2023.zip
        self.bron = bron if bron is not None else bron_year_files()
        self.faults: dict[str, str] = {}   # path part -> 500 | drop | hang | truncate | 404 | selfloop | html
        self.resets: dict[str, int] = {}   # path part -> drop the connection on the next n requests
        self.cutoffs: dict[str, int] = {}  # path part -> cut the body off on the next n requests
        self.requests: list[str] = []
        self.bytes_sent = 0
        self.hang_seconds = 5.0
        self._lock = threading.Lock()

    def _take(self, counters: dict[str, int], path: str) -> bool:
        with self._lock:
            for part, n in counters.items():
                if part in path and n > 0:
                    counters[part] = n - 1
                    return True
        return False

    def bron_file(self, name: str) -> bytes | None:
        if isinstance(self.bron, (bytes, bytearray)):
            return bytes(self.bron) if name == "01-01-2014_31-12-2023.zip" else None
        return self.bron.get(name)

    def __enter__(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body are two writes: without this each answer waits ~40 ms

            def log_message(self, *a):
                pass

            def do_HEAD(self):
                replay.requests.append("HEAD " + self.path)
                body = replay.bron_file(urlparse(self.path).path.rsplit("/", 1)[-1]) \
                    if urlparse(self.path).path.startswith("/bron/") else None
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/zip" if body is not None else "text/plain")
                self.send_header("Content-Length", str(len(body) if body is not None else 0))
                if body is not None:
                    self.send_header("Accept-Ranges", "bytes")
                    self.send_header("Last-Modified", BRON_LAST_MODIFIED)
                self.end_headers()

            def do_GET(self):
                replay.requests.append(self.path)
                if replay._take(replay.resets, self.path):
                    return self._drop()
                for part, mode in replay.faults.items():
                    if part in self.path:
                        if mode == "500":
                            return self._send(500, b"Internal Server Error", "text/plain")
                        if mode == "drop":
                            return self._drop()
                        if mode == "hang":
                            time.sleep(replay.hang_seconds)
                            return self._send(503, b"late", "text/plain")
                        if mode == "truncate":
                            body = replay.bron_file(urlparse(self.path).path.rsplit("/", 1)[-1]) or b"x" * 1000
                            self.send_response(200)
                            self.send_header("Content-Type", "application/zip")
                            self.send_header("Content-Length", str(len(body)))
                            self.end_headers()
                            self.wfile.write(body[: len(body) // 2])
                            self.wfile.flush()
                            self.close_connection = True
                            return
                        if mode == "404":
                            return self._send(404, b"Not Found", "text/plain")
                        if mode == "norange" and self.command == "GET":   # ignores Range: the whole file
                            self.headers.replace_header("Range", "") if "Range" in self.headers else None
                            return replay.route(self)
                        if mode == "html":   # a maintenance page with HTTP 200
                            return self._send(200, MAINTENANCE, "text/html; charset=utf-8")
                        if mode == "selfloop":   # a data page whose nextLink points back to itself
                            body = json.loads(replay.route(self, dry=True))
                            self.dry = False
                            body["odata.nextLink"] = replay.url + self.path
                            return self._send(200, json.dumps(body).encode())
                return replay.route(self)

            def _drop(self):
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass

            def _send(self, status, body: bytes, ctype="application/json;odata=minimalmetadata;charset=utf-8", headers=None):
                if getattr(self, "dry", False):
                    return body
                cut = replay._take(replay.cutoffs, self.path)
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                out = body[: len(body) // 2] if cut else body
                self.wfile.write(out)
                with replay._lock:
                    replay.bytes_sent += len(out)
                if cut:
                    self.wfile.flush()
                    self.close_connection = True
                    self._drop()

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):   # a client that hung up: not the replay's fault
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def route(self, h, dry=False):
        """Answer the request; with dry=True return the body instead of sending it."""
        h.dry = dry
        u = urlparse(h.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        parts = [p for p in u.path.split("/") if p]
        base = self.url
        if u.path.startswith("/bron/"):
            body = self.bron_file(parts[-1])
            if body is None:
                return h._send(404, b"Not Found", "text/plain")
            rng = re.fullmatch(r"bytes=(\d*)-(\d*)", h.headers.get("Range", "") or "")
            if rng and (rng.group(1) or rng.group(2)):
                if rng.group(1):
                    lo = int(rng.group(1))
                    hi = min(int(rng.group(2)) if rng.group(2) else len(body) - 1, len(body) - 1)
                else:   # the last n bytes
                    lo, hi = max(0, len(body) - int(rng.group(2))), len(body) - 1
                return h._send(206, body[lo:hi + 1], "application/zip",
                               {"Content-Range": f"bytes {lo}-{hi}/{len(body)}", "Accept-Ranges": "bytes"})
            return h._send(200, body, "application/zip", {"Last-Modified": BRON_LAST_MODIFIED, "Accept-Ranges": "bytes"})
        link = f"https://{self.next_host}" if self.next_host else base   # the host the service names in its links
        if parts[:2] == ["ODataCatalog", "Tables"]:
            value = [{**t["info"], "ApiUrl": f"{link}/ODataApi/OData/{tid}", "FeedUrl": f"{link}/ODataFeed/OData/{tid}"}
                     for tid, t in self.tables.items() if not t.get("unlisted")]
            try:
                value = self._query(value, q)
            except ValueError as exc:
                return h._send(400, json.dumps({"odata.error": {"message": {"value": str(exc)}}}).encode())
            return h._send(200, json.dumps({"odata.metadata": f"{base}/ODataCatalog/$metadata#Cbs.OData.WebAPI.Tables", "value": value}).encode())
        if len(parts) >= 3 and parts[0] in ("ODataFeed", "ODataApi") and parts[1].lower() == "odata":
            tid = parts[2]
            table = self.tables.get(tid)
            if table is None:
                return h._send(404, json.dumps({"odata.error": {"code": "", "message": {"lang": "en-US", "value": "Resource not found"}}}).encode())
            root = f"{base}/{parts[0]}/odata/{tid}"
            if len(parts) == 3:
                names = ["TableInfos", "UntypedDataSet", "TypedDataSet"] + [n for n in table["sets"] if n != "TypedDataSet"]
                return h._send(200, json.dumps({"odata.metadata": f"{root}/$metadata", "value": [{"name": n, "url": f"{root}/{n}"} for n in names]}).encode())  # noqa: E501
            name = parts[3]
            if name == "TableInfos":
                rows = [table["info"]]
            elif name == "UntypedDataSet":
                rows = [{k: (None if v is None else str(v)) if k not in ("ID",) else v for k, v in r.items()}
                        for r in table["sets"]["TypedDataSet"]]
            elif name in table["sets"]:
                rows = table["sets"][name]
            else:
                return h._send(404, b'{"odata.error": {"message": {"value": "Resource not found for the segment"}}}')
            try:
                data = name in ("TypedDataSet", "UntypedDataSet")
                columns = {"ID"} | {p["Key"] for p in table["sets"].get("DataProperties", [])} if data else None
                # the filtered answer once per query (every page of it asks again, with its own $skip)
                memo = (id(table), tid, name, tuple(sorted((k, v) for k, v in q.items() if k != "$skip")))
                with self._lock:
                    hit = self._answers.get(memo)
                if hit is None or hit[0] is not rows:
                    hit = (rows, self._query(rows, q, table.get("wide", ()) if data else (), columns))
                    with self._lock:
                        self._answers[memo] = hit
                rows = hit[1]
            except ValueError as exc:
                return h._send(400, json.dumps({"odata.error": {"message": {"value": str(exc)}}}).encode())
            skip = int(q.get("$skip", 0))
            size = self.page
            page = rows[skip: skip + size] if data else rows
            if data and page and self._take(self.omit, h.path):
                page = page[1:]   # a page that silently leaves out a row
            body = {"odata.metadata": f"{root}/$metadata#Cbs.OData.WebAPI.{name}", "value": page}
            if data and skip + size < len(rows):
                nq = urlencode({**q, "$skip": skip + size})
                body["odata.nextLink"] = f"{link}/{parts[0]}/odata/{tid}/{name}?{nq}"
            return h._send(200, json.dumps(body).encode())
        return h._send(404, b"Not Found", "text/plain")

    @staticmethod
    def _query(rows: list[dict], q: dict, wide: list[str] = (), columns: set | None = None) -> list[dict]:
        """$filter, then $select: a column the table does not have is HTTP 400 (the schema is
        the table's DataProperties; a row that lacks a column, a broken answer, lacks it)."""
        if "$filter" in q:
            keep = compile_filter(q["$filter"])
            rows = [r for r in rows if keep(r)]
        if "$select" in q:
            cols = [c.strip() for c in q["$select"].split(",") if c.strip()]
            have = (columns if columns is not None else (set(rows[0]) if rows else set(cols))) | set(wide)
            unknown = [c for c in cols if c not in have]
            if unknown:
                raise ValueError(f"Could not find a property named '{unknown[0]}'")
            rows = [{c: (r[c] if c in r else _filler(r, c)) for c in cols if c in r or c in wide} for r in rows]
        elif wide:
            rows = [{**r, **{c: _filler(r, c) for c in wide}} for r in rows]
        return rows
