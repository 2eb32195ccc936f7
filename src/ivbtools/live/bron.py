"""Rijkswaterstaat's BRON: download the zips and count accidents per municipality and year.

Rijkswaterstaat publishes one zip per year (`01-01-2023_31-12-2023.zip`, everything under a
folder of that name), as public code that reads the current host does; a multi-year file is
read the same way. The reader streams `Ongevallengegevens/ongevallen.txt` out of the zip line
by line, so memory stays flat however large the file is (benchmarks/bron_memory.py), and
decompresses it once: the zip's CRC is checked while counting, not in a second full pass.
Older years are Windows-1252 (latin-1) text, newer ones UTF-8: each is decoded correctly
(`Súdwest-Fryslân` intact), and a file that is neither is one line naming the line.
"""
from __future__ import annotations

import csv
import os
import time
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests
from tqdm import tqdm

from ..errors import IvbError
from .neterrors import NETWORK_ERRORS
from .web import failure, read_body

MEMBER = "Ongevallengegevens/ongevallen.txt"
REQUIRED = ("VKL_NUMMER", "JAAR_VKL", "AP3_CODE", "GME_ID")
INDICATORS = {"all": "traffic_accidents", "injury": "traffic_accidents_injury", "fatal": "traffic_accidents_fatal",
              "casualties": "traffic_casualties"}
# The column each count needs besides the required ones: a column that is absent from a year's file,
# or empty in every record of that year, means the figure is not published for that year — no
# figure, never a zero (public scripts reading the 2025 files use ANTL_DOD/GZH/SEH, not ANTL_SLA).
NEEDS = {"casualties": "ANTL_SLA"}
COUNTS_VERSION = 2   # cached counts of an older reader are counted again
MAX_ZIP_BYTES = 2 * 1024 ** 3        # a year's BRON zip is tens of MB
MAX_INFLATED_BYTES = 4 * 1024 ** 3   # ongevallen.txt of a year, decompressed: a few hundred MB
MAX_LINE = 1 << 16                   # one accident record is a few hundred bytes


@dataclass
class Counts:
    all: int = 0
    injury: int = 0
    fatal: int = 0
    casualties: int = 0


@dataclass
class BronCounts:
    by_area_year: dict = field(default_factory=lambda: defaultdict(Counts))  # (GMxxxx | NL01, year) -> Counts
    names: dict = field(default_factory=dict)                                # GMxxxx -> GME_NAAM
    rows: int = 0
    unmapped: int = 0  # records with neither a GME_ID nor a GME_NAAM known elsewhere in the file
    # count -> {year: the column it needs that the file does not publish for that year}
    unpublished: dict = field(default_factory=dict)


def _int(text: str) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0


def find_member(zf: zipfile.ZipFile, member: str) -> str | None:
    """The zip member whose file name is `member`'s (ongevallen.txt), wherever it sits: some
    downloads put everything under a top-level folder such as 01-01-2014_31-12-2023/."""
    names = [n for n in zf.namelist() if not n.endswith("/")]
    if member in names:
        return member
    base = member.rsplit("/", 1)[-1].lower()
    hits = [n for n in names if n.rsplit("/", 1)[-1].lower() == base]
    preferred = [n for n in hits if "ongevallengegevens/" in n.lower()]
    return (preferred or hits or [None])[0]


def _decoded_lines(raw, zip_path, member: str):
    """The member's lines as text: UTF-8, or Windows-1252 (a superset of latin-1's letters) for
    files written that way; one line (IvbError) for a byte that is neither."""
    encoding = "utf-8"
    n, inflated = 0, 0
    while True:
        line = raw.readline(MAX_LINE + 1)   # bounded: a damaged or hostile file may hold a line of gigabytes
        if not line:
            return
        n += 1
        inflated += len(line)
        if len(line) > MAX_LINE:
            raise IvbError(f"{zip_path}: {member} line {n} is longer than {MAX_LINE:,} bytes — the file is damaged or "
                           f"too large; fetch it again (the previous copy is kept)")
        if inflated > MAX_INFLATED_BYTES:
            raise IvbError(f"{zip_path}: {member} inflates to more than {MAX_INFLATED_BYTES:,} bytes — damaged or too "
                           f"large; fetch it again (the previous copy is kept)")
        if n == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError as exc:
                raise IvbError(f"{zip_path}: {member} line {n}: byte 0x{line[exc.start]:02x} is neither UTF-8 nor "
                               f"Windows-1252 text — the file is damaged or in an unknown encoding; fetch it again") from None
            encoding = "cp1252"   # the file is Windows-1252 from here on
            yield text


def count_accidents(zip_path: Path, member: str = MEMBER) -> BronCounts:
    """Count accidents (all / injury / fatal) and casualties per municipality and year, streaming.
    A row with fewer fields than the header (a file cut off mid-record) is refused with its line."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IvbError(f"{zip_path}: not a readable zip ({exc}) — fetch it again (ivb fetch --refresh)") from None
    with zf:
        found = find_member(zf, member)
        if found is None:
            raise IvbError(f"{zip_path}: no {member.rsplit('/', 1)[-1]} anywhere inside — the BRON layout changed; "
                           f"update data/live.yaml (bron.member)")
        if zf.getinfo(found).file_size > MAX_INFLATED_BYTES:
            raise IvbError(f"{zip_path}: {found} says it inflates to {zf.getinfo(found).file_size:,} bytes — more than a "
                           f"BRON file can be; damaged or too large; fetch it again (the previous copy is kept)")
        try:
            raw = zf.open(found)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise IvbError(f"{zip_path}: {found} cannot be read ({exc}) — fetch it again") from None
        with raw:
            text = _decoded_lines(raw, zip_path, found)
            first = next(text, "")
            delimiter = max(",;|\t", key=first.count)
            header = [h.strip().strip('"') for h in next(csv.reader([first], delimiter=delimiter))]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise IvbError(f"{zip_path}: {found} has no column(s) {', '.join(missing)} — the BRON format changed")
            ix = {c: header.index(c) for c in header}
            width = len(header)
            out = BronCounts()
            filled: dict[str, set[int]] = {col: set() for col in NEEDS.values()}   # years with a value in the column
            years_seen: set[int] = set()
            by_name: dict = defaultdict(Counts)  # (GME_NAAM, year) for records without GME_ID
            reader = csv.reader(text, delimiter=delimiter)
            try:
                for row in reader:
                    if not row:
                        continue
                    if len(row) < width:
                        raise IvbError(f"{zip_path}: {found} line {reader.line_num + 1}: {len(row)} fields where the "
                                       f"header has {width} — the file is cut off or damaged; fetch it again")
                    out.rows += 1
                    year = _int(row[ix["JAAR_VKL"]])
                    years_seen.add(year)
                    outcome = row[ix["AP3_CODE"]].strip().upper()
                    sla = row[ix["ANTL_SLA"]].strip() if "ANTL_SLA" in ix else ""
                    if sla:
                        filled["ANTL_SLA"].add(year)
                    casualties = _int(sla)
                    gme = row[ix["GME_ID"]].strip()
                    name = row[ix["GME_NAAM"]].strip() if "GME_NAAM" in ix else ""
                    targets = [out.by_area_year[("NL01", year)]]
                    if gme.isdigit():
                        code = f"GM{int(gme):04d}"
                        targets.append(out.by_area_year[(code, year)])
                        if name and code not in out.names:
                            out.names[code] = name
                    elif name:
                        targets.append(by_name[(name.lower(), year)])
                    else:
                        out.unmapped += 1
                    for c in targets:
                        c.all += 1
                        c.injury += outcome == "LET"
                        c.fatal += outcome == "DOD"
                        c.casualties += casualties
            except (zipfile.BadZipFile, EOFError, OSError, csv.Error) as exc:
                raise IvbError(f"{zip_path}: {found} cannot be read to the end ({exc}) — fetch it again") from None
            for what, col in NEEDS.items():
                missing = {y: ("absent" if col not in ix else "empty") for y in sorted(years_seen - filled[col])}
                if missing:
                    out.unpublished[what] = {y: f"{col} {how}" for y, how in missing.items()}
    # records with only a municipality name: map the name to the code seen with it elsewhere
    code_of = {n.lower(): code for code, n in out.names.items()}
    for (name, year), c in by_name.items():
        code = code_of.get(name)
        if code is None:
            out.unmapped += c.all
            continue
        t = out.by_area_year[(code, year)]
        t.all, t.injury, t.fatal, t.casualties = t.all + c.all, t.injury + c.injury, t.fatal + c.fatal, t.casualties + c.casualties
    return out


def tidy_rows(counts: BronCounts, areas: list[str], years: list[int] | None, source_id: str) -> list[dict]:
    rows = []
    for (area, year), c in sorted(counts.by_area_year.items()):
        if area not in areas or (years and year not in years):
            continue
        name = "Nederland" if area == "NL01" else counts.names.get(area, area)
        for attr, indicator in INDICATORS.items():
            if year in counts.unpublished.get(attr, {}):
                continue   # not published for this year: no figure, never a zero
            rows.append({"indicator": indicator, "area_code": area, "area_name": name, "year": year,
                         "value": getattr(c, attr), "source_id": source_id})
    return rows


def counts_to_json(counts: BronCounts, zip_sha256: str) -> dict:
    return {"version": COUNTS_VERSION, "zip_sha256": zip_sha256, "rows": counts.rows, "unmapped": counts.unmapped,
            "names": counts.names,
            "unpublished": {k: {str(y): why for y, why in v.items()} for k, v in counts.unpublished.items()},
            "counts": [[a, y, c.all, c.injury, c.fatal, c.casualties] for (a, y), c in sorted(counts.by_area_year.items())]}


def unpublished_lines(counts: BronCounts, name: str) -> list[str]:
    """One line per count and file that the file does not publish (a needed column absent or empty)."""
    out = []
    for what, years in counts.unpublished.items():
        by_why: dict[str, list[int]] = {}
        for y, why in years.items():
            by_why.setdefault(why, []).append(int(y))
        for why, ys in by_why.items():
            out.append(f"{name}: column {why} for {', '.join(map(str, sorted(ys)))} — no {INDICATORS[what]} figure "
                       f"for {'that year' if len(ys) == 1 else 'those years'} (not published; never counted as 0)")
    return out


def counts_from_json(payload: dict) -> BronCounts:
    if payload.get("version") != COUNTS_VERSION:
        raise KeyError("counts of an older reader")
    out = BronCounts(rows=payload["rows"], unmapped=payload["unmapped"], names=dict(payload["names"]),
                     unpublished={k: {int(y): why for y, why in v.items()} for k, v in payload.get("unpublished", {}).items()})
    for a, y, n_all, inj, fat, cas in payload["counts"]:
        out.by_area_year[(a, int(y))] = Counts(n_all, inj, fat, cas)
    return out


class NotPublished(IvbError):
    """HTTP 404 for a BRON file: not (yet) published under that name."""


def download(url: str, part: Path, budget, quiet: bool, setting: str = "bron.file_pattern") -> dict:
    """Stream `url` to `part` within the file's time budget (the session retries connection
    errors and HTTP 5xx; a transfer cut off mid-file is started again while time is left);
    check its length and that the zip's directory reads (the contents are checked by their CRC
    while counting: no second full decompression); remove `part` on any failure. Returns the
    URL actually read and its Last-Modified header."""
    part.parent.mkdir(parents=True, exist_ok=True)
    attempts = 0
    while True:
        attempts += 1
        try:
            return _download_once(url, part, budget, quiet, setting)
        except (requests.exceptions.ChunkedEncodingError, _CutOff) as exc:   # cut off mid-file
            part.unlink(missing_ok=True)
            if attempts <= 1 and budget.left() > 5:
                budget.count(0, retried=True)
                time.sleep(1.0)
                continue
            if isinstance(exc, _CutOff):
                raise IvbError(str(exc)) from None
            raise failure(exc, url, budget.timeout, url) from None
        except NETWORK_ERRORS as exc:   # the session has retried connection errors and HTTP 5xx already
            part.unlink(missing_ok=True)
            raise failure(exc, url, budget.timeout, url) from None
        except BaseException:
            part.unlink(missing_ok=True)
            raise


class _CutOff(Exception):
    pass


class _Sink:
    """A file that counts what is written to it and moves a progress bar."""

    def __init__(self, fh, bar):
        self.fh, self.bar, self.done = fh, bar, 0

    def write(self, chunk: bytes) -> None:
        self.fh.write(chunk)
        self.done += len(chunk)
        self.bar.update(len(chunk))


def _download_once(url: str, part: Path, budget, quiet: bool, setting: str) -> dict:
    with budget.session.get(url, stream=True, timeout=budget.request_timeout()) as resp:
        if resp.status_code == 404:
            raise NotPublished(f"{url}: not found (HTTP 404) — not published under this name (yet); Rijkswaterstaat "
                               f"publishes each year's file the year after; check the name in data/live.yaml ({setting})")
        resp.raise_for_status()
        total = int(resp.headers.get("Content-Length") or 0)
        if total > MAX_ZIP_BYTES:
            resp.close()
            raise IvbError(f"{url}: {total:,} bytes — more than the {MAX_ZIP_BYTES:,} a year's BRON file can be; not "
                           f"downloaded (the previous copy is kept)")
        with open(part, "wb") as fh, tqdm(total=total or None, unit="B", unit_scale=True, desc=f"BRON {Path(url).name}",
                                           disable=True if quiet else None, leave=False) as bar:
            sink = _Sink(fh, bar)
            read_body(resp, budget, limit=MAX_ZIP_BYTES, sink=sink)   # bounded in size and by the file's deadline
            done = sink.done
            fh.flush()
            os.fsync(fh.fileno())
        info = {"url": resp.url, "last_modified": resp.headers.get("Last-Modified", ""), "content_length": total}
    budget.count(done)
    if total and done != total:
        raise _CutOff(f"{url}: download stopped after {done} of {total} bytes, also when tried again — try again later")
    try:
        with zipfile.ZipFile(part) as zf:   # reads the central directory only
            zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        raise IvbError(f"{url}: the downloaded file is not a complete zip — try again") from None
    return info
