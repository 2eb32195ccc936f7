"""What a report depends on, as one digest: a report whose digest is unchanged is up to date.

The digest covers the notebook file, the parameters, the ivbtools code (every module's
source) with the versions of the libraries that shape the output, and the data the report
reads: for a target report, every row (all layers, so disagreements count) of its indicator,
the national counterpart and the population, for the municipality and the Netherlands, with
their source entries, the indicator and target definitions and the data-status paragraph;
for a scorecard, every row of both areas and the whole policy. The peer comparison reads
other municipalities too: every municipality's rows of the report's indicator, population and
urbanisation class, and data/peers.yaml (for a scorecard: of every measurable indicator). A
figure for another indicator therefore leaves a target report up to date.
"""
from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

from ..data.dataset import Dataset
from ..data.datastatus import data_status_text
from ..data.views import view

LIBRARIES = ("pandas", "numpy", "matplotlib", "seaborn", "statsmodels", "scipy", "papermill", "nbconvert",
             "nbclient", "nbformat", "ipykernel")


PACKAGE = Path(__file__).resolve().parents[1]   # ivbtools/


@functools.lru_cache(maxsize=4)
def code_digest(package: Path = PACKAGE) -> str:
    """Every module of every layer (subpackages included: a change anywhere reruns the reports
    it could change) and the versions of the libraries that shape a report."""
    h = hashlib.sha256()
    for p in sorted(package.rglob("*.py")):
        h.update(str(p.relative_to(package)).encode() + b"\0" + p.read_bytes() + b"\0")
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=absent\n".encode())
    return h.hexdigest()


PEER_INDICATORS = ("population", "urbanisation_class")


class PeerDigests:
    """Per set of indicators, the digest of what the peer comparison reads, once per data state
    (data/views.py): a batch for many municipalities asks the same question for every one."""

    def __init__(self, ds: Dataset):
        self.ds = ds
        self._digests: dict[tuple[str, ...], str] = {}

    def of(self, indicators: list[str]) -> str:
        key = tuple(sorted(indicators))
        if key not in self._digests:
            self._digests[key] = _peer_rows_digest(self.ds, list(key))
        return self._digests[key]


def _peer_rows(ds: Dataset, indicators: list[str]) -> str:
    """What the peer comparison reads: every municipality's figures of these indicators (and
    population, urbanisation class), and the peer rule."""
    return view(ds, PeerDigests).of(indicators)


def _peer_rows_digest(ds: Dataset, indicators: list[str]) -> str:
    t = ds.observations.table
    t = t[t.area_code.str.startswith("GM") & t.indicator.isin(list(indicators) + list(PEER_INDICATORS))]
    cols = ["indicator", "area_code", "year", "value", "source_id"]
    h = hashlib.sha256(t[cols].sort_values(cols, kind="stable").to_csv(index=False).encode())
    peers_file = ds.root / "peers.yaml"
    h.update(peers_file.read_bytes() if peers_file.is_file() else b"")
    return h.hexdigest()


def _rows(ds: Dataset, areas: list[str], indicators: list[str] | None) -> tuple[str, list[str]]:
    t = ds.observations.all_rows
    t = t[t.area_code.isin(areas)]
    if indicators is not None:
        t = t[t.indicator.isin(indicators)]
    cols = ["indicator", "area_code", "area_name", "year", "value", "source_id", "layer"]
    t = t[cols].sort_values(cols, kind="stable")
    return t.to_csv(index=False), sorted(set(t.source_id))


def target_inputs(ds: Dataset, part_id: str, municipality: str) -> dict:
    part = ds.policy.part(part_id)
    ind = ds.indicators[part.indicator]
    inds = [i for i in dict.fromkeys([ind.id, ind.national_indicator, "population"]) if i]
    areas = [municipality, ind.national_area or "NL01"]
    rows, sids = _rows(ds, areas, inds)
    return {"part": repr(part), "indicators": [repr(ds.indicators[i]) for i in inds], "rows": rows,
            "sources": [repr(ds.sources[s]) for s in sids], "status": data_status_text(ds, areas, inds),
            "names": [ds.area_name(a) for a in areas], "policy": [ds.policy.title, ds.policy.municipality],
            "snapshot": ds.snapshot_version, "peers": _peer_rows(ds, [ind.id])}


def scorecard_inputs(ds: Dataset, municipality: str) -> dict:
    areas = [municipality, "NL01"]
    rows, sids = _rows(ds, areas, None)
    return {"parts": [repr(p) for p in ds.policy.parts], "checks": [repr(c) for c in ds.policy.checks],
            "indicators": [repr(i) for i in ds.indicators.values()], "rows": rows,
            "sources": [repr(ds.sources[s]) for s in sids], "status": data_status_text(ds, areas),
            "names": [ds.area_name(a) for a in areas], "policy": [ds.policy.title, ds.policy.municipality],
            "snapshot": ds.snapshot_version,
            "peers": _peer_rows(ds, sorted({p.indicator for p in ds.policy.parts if p.measurable}))}


def _digest(payload: dict) -> str:
    """The code digest and `payload`, as one sha256."""
    return hashlib.sha256(json.dumps({"code": code_digest(), **payload}, sort_keys=True, default=str).encode()).hexdigest()


def digest(notebook: Path, parameters: dict, inputs: dict) -> str:
    return _digest({"notebook": hashlib.sha256(Path(notebook).read_bytes()).hexdigest(), "parameters": parameters,
                    "inputs": inputs})


def monitor_inputs(ds: Dataset, municipality: str, year: int, this_year: int) -> dict:
    """What the monitor page of `municipality` up to `year` reads: everything a scorecard reads
    (every figure of the municipality and the Netherlands, the statements, the indicators), the
    monitor file, the monthly figures of both areas, every municipality's figures of the monitored
    indicators (the peer position), and the current year (which year counts as not over yet)."""
    mon = ds.monitor
    inds = sorted({mi.indicator for p in mon.priorities for mi in p.indicators})
    m = ds.months.table
    m = m[m.area_code.isin([municipality, "NL01"])].sort_values(["indicator", "area_code", "year", "month"], kind="stable")
    return {**scorecard_inputs(ds, municipality), "monitor": repr(mon), "months": m.to_csv(index=False),
            "months_sources": [repr(ds.sources[s]) for s in sorted(set(m.source_id))],
            "monitor_peers": _peer_rows(ds, inds), "year": year, "this_year": this_year}


def monitor_digest(ds: Dataset, municipality: str, year: int, this_year: int) -> str:
    return _digest({"inputs": monitor_inputs(ds, municipality, year, this_year)})


def national_inputs(ds: Dataset, year: int) -> dict:
    """What the national table of `year` reads: every area's figures of the policy's measurable
    indicators, their national counterparts, population and urbanisation class (all years: the
    baselines and the spread), with their sources; the policy, the indicators, the municipality
    list and data/peers.yaml."""
    parts = [p for p in ds.policy.parts if p.measurable]
    inds = sorted({i for p in parts for i in (p.indicator, ds.indicators[p.indicator].national_indicator) if i}
                  | set(PEER_INDICATORS))
    t = ds.observations.all_rows
    cols = ["indicator", "area_code", "area_name", "year", "value", "source_id", "layer"]
    t = t[t.indicator.isin(inds)][cols].sort_values(cols, kind="stable")
    peers_file = ds.root / "peers.yaml"
    return {"parts": [repr(p) for p in ds.policy.parts], "indicators": [repr(ds.indicators[i]) for i in inds],
            "rows": hashlib.sha256(t.to_csv(index=False).encode()).hexdigest(),
            "sources": [repr(ds.sources[s]) for s in sorted(set(t.source_id))],
            "municipalities": sorted(ds.municipalities.by_code) if ds.municipalities is not None else [],
            "policy": [ds.policy.title, ds.policy.municipality], "snapshot": ds.snapshot_version,
            "peers": hashlib.sha256(peers_file.read_bytes() if peers_file.is_file() else b"").hexdigest(),
            "year": year}


def national_digest(ds: Dataset, year: int) -> str:
    return _digest({"inputs": national_inputs(ds, year)})
