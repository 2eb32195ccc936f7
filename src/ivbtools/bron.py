"""Rijkswaterstaat's BRON: download a period zip and count accidents per municipality and year.

The reader streams `Ongevallengegevens/ongevallen.txt` out of the zip line by line, so memory
stays flat however large the national file is (benchmarks/bron_memory.py measures it).
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests
from tqdm import tqdm

from .errors import IvbError
from .neterrors import NETWORK_ERRORS, describe

MEMBER = "Ongevallengegevens/ongevallen.txt"
REQUIRED = ("VKL_NUMMER", "JAAR_VKL", "AP3_CODE", "GME_ID")
INDICATORS = {"all": "traffic_accidents", "injury": "traffic_accidents_injury", "fatal": "traffic_accidents_fatal",
              "casualties": "traffic_casualties"}


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


def _int(text: str) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() else 0


def count_accidents(zip_path: Path, member: str = MEMBER) -> BronCounts:
    """Count accidents (all / injury / fatal) and casualties per municipality and year, streaming."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IvbError(f"{zip_path}: not a readable zip ({exc}) — delete it and run ivb fetch --refresh") from None
    with zf:
        if member not in zf.namelist():
            raise IvbError(f"{zip_path}: no {member} inside — the BRON layout changed; update data/live.yaml (member)")
        with zf.open(member) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
            first = text.readline()
            delimiter = max(",;|\t", key=first.count)
            header = [h.strip().strip('"') for h in next(csv.reader([first], delimiter=delimiter))]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise IvbError(f"{zip_path}: {member} has no column(s) {', '.join(missing)} — the BRON format changed")
            ix = {c: header.index(c) for c in header}
            out = BronCounts()
            by_name: dict = defaultdict(Counts)  # (GME_NAAM, year) for records without GME_ID
            for row in csv.reader(text, delimiter=delimiter):
                if not row:
                    continue
                out.rows += 1
                year = _int(row[ix["JAAR_VKL"]])
                outcome = row[ix["AP3_CODE"]].strip().upper()
                casualties = _int(row[ix["ANTL_SLA"]]) if "ANTL_SLA" in ix else 0
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
            rows.append({"indicator": indicator, "area_code": area, "area_name": name, "year": year,
                         "value": getattr(c, attr), "source_id": source_id})
    return rows


def download(url: str, part: Path, timeout: float, quiet: bool) -> None:
    """Stream `url` to `part`; verify length and zip integrity; remove `part` on any failure."""
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        with requests.get(url, stream=True, timeout=timeout) as resp:
            resp.raise_for_status()
            total = int(resp.headers.get("Content-Length") or 0)
            done = 0
            with open(part, "wb") as fh, tqdm(total=total or None, unit="B", unit_scale=True, desc=f"BRON {Path(url).name}",
                                               disable=True if quiet else None, leave=False) as bar:
                for chunk in resp.iter_content(chunk_size=1 << 16):
                    fh.write(chunk)
                    done += len(chunk)
                    bar.update(len(chunk))
                fh.flush()
                os.fsync(fh.fileno())
        if total and done != total:
            raise IvbError(f"{url}: download stopped after {done} of {total} bytes — try again")
        if not zipfile.is_zipfile(part) or zipfile.ZipFile(part).testzip() is not None:
            raise IvbError(f"{url}: the downloaded file is not a complete zip — try again")
    except NETWORK_ERRORS as exc:
        part.unlink(missing_ok=True)
        raise IvbError(describe(exc, url, timeout)) from None
    except BaseException:
        part.unlink(missing_ok=True)
        raise
