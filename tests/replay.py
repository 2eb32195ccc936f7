"""A local HTTP server on 127.0.0.1 that replays CBS OData v3 and BRON downloads.

Responses follow the real services' formats (service document, TableInfos, DataProperties,
dimension entity sets with fixed-width padded keys, TypedDataSet pages chained with
odata.nextLink, the ODataCatalog table list, a BRON zip with the real folder layout).
All numbers are hand-made test fixtures, not real figures.
"""
from __future__ import annotations

import io
import json
import re
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

PAGE = 4  # rows per TypedDataSet page, small so that paging is exercised

REGIONS = [("NL01  ", "Nederland"), ("GM0014", "Groningen"), ("GM1969", "Westerkwartier")]
YEARS = range(2017, 2024)


def _fixture_value(*parts) -> int:
    """A deterministic, obviously synthetic count from the key (not a real figure)."""
    return sum(ord(c) for c in "".join(map(str, parts))) % 97 + 10


def police_table(table_id, title, dim, dim_title, keys, measure, modified="2024-03-01T02:00:00"):
    rows, i = [], 0
    for cat, _ in keys:
        for reg, _ in REGIONS:
            for y in YEARS:
                v = _fixture_value(table_id, cat, reg, y) * (100 if reg.startswith("NL") else 1)
                rows.append({"ID": i, dim: cat, "RegioS": reg, "Perioden": f"{y}JJ00", measure: v})
                i += 1
    props = [
        {"odata.type": "Cbs.OData.Dimension", "ID": 0, "Position": 0, "ParentID": None, "Type": "Dimension", "Key": dim, "Title": dim_title, "Description": ""},
        {"odata.type": "Cbs.OData.GeoDimension", "ID": 1, "Position": 1, "ParentID": None, "Type": "GeoDimension", "Key": "RegioS", "Title": "Regio's", "Description": ""},
        {"odata.type": "Cbs.OData.TimeDimension", "ID": 2, "Position": 2, "ParentID": None, "Type": "TimeDimension", "Key": "Perioden", "Title": "Perioden", "Description": ""},
        {"odata.type": "Cbs.OData.Topic", "ID": 3, "Position": 3, "ParentID": None, "Type": "Topic", "Key": measure, "Title": "Aantal",
         "Description": "", "Datatype": "Long", "Unit": "aantal", "Decimals": 0, "Default": "Zero", "PresentationType": "Absolute"},
    ]
    return {
        "info": {"ID": 0, "Title": title, "ShortTitle": title[:40], "Identifier": table_id, "Summary": "fixture",
                 "Modified": modified, "MetaDataModified": modified, "ReasonDelivery": "Actualisering",
                 "Frequency": "Perjaar", "Period": "2017-2023", "Language": "nl", "Catalog": "Politie"},
        "sets": {"DataProperties": props,
                 dim: [{"Key": k, "Title": t, "Description": "", "CategoryGroupID": None} for k, t in keys],
                 "RegioS": [{"Key": k, "Title": t, "Description": ""} for k, t in REGIONS],
                 "Perioden": [{"Key": f"{y}JJ00", "Title": str(y), "Description": "", "Status": "Definitief"} for y in YEARS]
                 + [{"Key": "2023MM01", "Title": "2023 januari", "Description": "", "Status": "Voorlopig"}],
                 "CategoryGroups": [],
                 "TypedDataSet": rows,
                 "UntypedDataSet": [{**r, measure: str(r[measure])} for r in rows]},
    }


def population_table():
    t = police_table("70072ned", "Regionale kerncijfers Nederland", "Dummy", "x", [], "TotaleBevolking_1")
    rows, i = [], 0
    for reg, _ in REGIONS:
        for y in YEARS:
            v = 17_000_000 + y if reg.startswith("NL") else 60_000 + _fixture_value(reg, y)
            rows.append({"ID": i, "RegioS": reg, "Perioden": f"{y}JJ00", "TotaleBevolking_1": v})
            i += 1
    t["sets"]["DataProperties"] = [p for p in t["sets"]["DataProperties"] if p["Key"] != "Dummy"]
    del t["sets"]["Dummy"]
    t["sets"]["TypedDataSet"] = rows
    t["sets"]["UntypedDataSet"] = [{**r, "TotaleBevolking_1": str(r["TotaleBevolking_1"])} for r in rows]
    t["info"]["Catalog"] = "CBS"
    return t


def default_tables():
    crimes = [("0.0.0 ", "Totaal misdrijven"), ("1.1.1 ", "1.1.1 Diefstal/inbraak woning"), ("2.5.2 ", "2.5.2 Winkeldiefstal"),
              ("3.7.4 ", "3.7.4 Cybercrime"), ("3.1.3 ", "3.1.3 Wapenhandel"), ("1.6.1 ", "1.6.1 Brand/ontploffing"),
              ("1.4.5 ", "1.4.5 Mishandeling")]
    nuisance = [("0.0.0 ", "Totaal registraties overlast"), ("E33   ", "Overlast door verward persoon"),
                ("E35   ", "Melding overlast jeugd"), ("E38   ", "Overlast ivm alcohol/ drugs")]
    return {
        "47025NED": police_table("47025NED", "Geregistreerde misdrijven; soort misdrijf, regio", "SoortMisdrijf", "Soort misdrijf",
                                 crimes, "GeregistreerdeMisdrijven_1"),
        "47021NED": police_table("47021NED", "Geregistreerde overlast; soort overlast, regio", "Overlast", "Soort overlast",
                                 nuisance, "GeregistreerdeOverlast_1"),
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
]


def bron_zip(rows=BRON_ROWS, delimiter=",", prefix="", cut_last_record=False) -> bytes:
    """A BRON zip in the real layout. `prefix` puts everything under a top-level folder (as some
    downloads are laid out); `cut_last_record` ends ongevallen.txt in the middle of its last record."""
    lines = [BRON_HEADER.replace(",", delimiter)]
    for n, (year, ap3, sla, gme, naam) in enumerate(rows, start=1):
        dod = sla if ap3 == "DOD" else 0
        lines.append(delimiter.join(map(str, [f"{year}{n:06d}", "", "", f"{year}0101", year, ap3, dod, sla, 0, 0, gme, naam, "GR", "Groningen"])))
    text = "\r\n".join(lines) + "\r\n"
    if cut_last_record:
        text = text[: text.rstrip("\r\n").rfind(delimiter * 2)]   # stops inside the last record
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(prefix + "Ongevallengegevens/ongevallen.txt", text)
        zf.writestr(prefix + "Ongevallengegevens/partijen.txt", "VKL_NUMMER,NUMMER\r\n")
        zf.writestr(prefix + "ReferentiebestandenOngevallen/aflopen3.txt", "AP3_CODE,AP3_OMS\r\nDOD,Dodelijk\r\nLET,Letsel\r\nUMS,Uitsluitend materiele schade\r\n")
        zf.writestr(prefix + "Netwerkgegevens/puntlocaties.txt", "FK_VELD5,X_COORD,Y_COORD\r\n")
    return buf.getvalue()


BRON_LAST_MODIFIED = "Tue, 02 Apr 2024 08:00:00 GMT"


class Replay:
    """Start with `with Replay() as r:`; r.url is the base URL; set r.faults[path_part] = mode."""

    def __init__(self, tables=None, bron: bytes | None = None, page: int = PAGE):
        self.tables = tables or default_tables()
        self.page = page   # rows per TypedDataSet page (the real feed serves up to 10,000)
        self.bron = bron if bron is not None else bron_zip()
        self.faults: dict[str, str] = {}   # path part -> 500 | drop | hang | truncate | 404 | selfloop
        self.requests: list[str] = []
        self.hang_seconds = 5.0

    def __enter__(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                replay.requests.append(self.path)
                for part, mode in replay.faults.items():
                    if part in self.path:
                        if mode == "500":
                            return self._send(500, b"Internal Server Error", "text/plain")
                        if mode == "drop":
                            self.close_connection = True
                            self.connection.shutdown(2)
                            return
                        if mode == "hang":
                            time.sleep(replay.hang_seconds)
                            return self._send(503, b"late", "text/plain")
                        if mode == "truncate":
                            self.send_response(200)
                            self.send_header("Content-Type", "application/zip")
                            self.send_header("Content-Length", str(len(replay.bron)))
                            self.end_headers()
                            self.wfile.write(replay.bron[: len(replay.bron) // 2])
                            self.wfile.flush()
                            self.close_connection = True
                            return
                        if mode == "404":
                            return self._send(404, b"Not Found", "text/plain")
                        if mode == "selfloop":   # a data page whose nextLink points back to itself
                            body = json.loads(replay.route(self, dry=True))
                            self.dry = False
                            body["odata.nextLink"] = replay.url + self.path
                            return self._send(200, json.dumps(body).encode())
                return replay.route(self)

            def _send(self, status, body: bytes, ctype="application/json;odata=minimalmetadata;charset=utf-8", headers=None):
                if getattr(self, "dry", False):
                    return body
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
            name = parts[-1]
            if name != "01-01-2014_31-12-2023.zip":
                return h._send(404, b"Not Found", "text/plain")
            return h._send(200, self.bron, "application/zip", {"Last-Modified": BRON_LAST_MODIFIED})
        if parts[:2] == ["ODataCatalog", "Tables"]:
            value = [{**t["info"], "ApiUrl": f"{base}/ODataApi/OData/{tid}", "FeedUrl": f"{base}/ODataFeed/OData/{tid}"}
                     for tid, t in self.tables.items()]
            return h._send(200, json.dumps({"odata.metadata": f"{base}/ODataCatalog/$metadata#Cbs.OData.WebAPI.Tables", "value": value}).encode())
        if len(parts) >= 3 and parts[0] in ("ODataFeed", "ODataApi") and parts[1].lower() == "odata":
            tid = parts[2]
            table = self.tables.get(tid)
            if table is None:
                return h._send(404, json.dumps({"odata.error": {"code": "", "message": {"lang": "en-US", "value": "Resource not found"}}}).encode())
            root = f"{base}/{parts[0]}/odata/{tid}"
            if len(parts) == 3:
                names = ["TableInfos", "UntypedDataSet", "TypedDataSet"] + [n for n in table["sets"] if n not in ("TypedDataSet", "UntypedDataSet")]
                return h._send(200, json.dumps({"odata.metadata": f"{root}/$metadata", "value": [{"name": n, "url": f"{root}/{n}"} for n in names]}).encode())
            name = parts[3]
            if name == "TableInfos":
                rows = [table["info"]]
            elif name in table["sets"]:
                rows = table["sets"][name]
            else:
                return h._send(404, b'{"odata.error": {"message": {"value": "Resource not found for the segment"}}}')
            if "$filter" in q:
                # clauses joined by 'and', each an 'or' of "Field eq 'key'" and "substringof('x',Field)"
                wanted: dict[str, set] = {}
                contains: dict[str, set] = {}
                for field, val in re.findall(r"(\w+) eq '([^']*)'", q["$filter"]):
                    wanted.setdefault(field, set()).add(val)
                for val, field in re.findall(r"substringof\('([^']*)',\s*(\w+)\)", q["$filter"]):
                    contains.setdefault(field, set()).add(val)
                fields = set(wanted) | set(contains)
                rows = [r for r in rows if all(str(r.get(f)) in wanted.get(f, ()) or any(v in str(r.get(f)) for v in contains.get(f, ()))
                                               for f in fields)]
            skip = int(q.get("$skip", 0))
            size = self.page
            page = rows[skip: skip + size] if name in ("TypedDataSet", "UntypedDataSet") else rows
            body = {"odata.metadata": f"{root}/$metadata#Cbs.OData.WebAPI.{name}", "value": page}
            if name in ("TypedDataSet", "UntypedDataSet") and skip + size < len(rows):
                nq = urlencode({**q, "$skip": skip + size})
                body["odata.nextLink"] = f"{root}/{name}?{nq}"
            return h._send(200, json.dumps(body).encode())
        return h._send(404, b"Not Found", "text/plain")
