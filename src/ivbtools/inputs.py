"""What a report depends on, as one digest: a report whose digest is unchanged is up to date.

The digest covers the notebook file, the parameters, the ivbtools code (every module's
source) with the versions of the libraries that shape the output, and the data the report
reads: for a target report, every row (all layers, so disagreements count) of its indicator,
the national counterpart and the population, for the municipality and the Netherlands, with
their source entries, the indicator and target definitions and the data-status paragraph;
for a scorecard, every row of both areas and the whole policy. A figure for another indicator
or another municipality therefore leaves a target report up to date.
"""
from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

from .dataset import Dataset
from .datastatus import data_status_text

LIBRARIES = ("pandas", "numpy", "matplotlib", "seaborn", "statsmodels", "scipy", "papermill", "nbconvert",
             "nbclient", "nbformat", "ipykernel")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    h = hashlib.sha256()
    for p in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=absent\n".encode())
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
            "snapshot": ds.snapshot_version}


def scorecard_inputs(ds: Dataset, municipality: str) -> dict:
    areas = [municipality, "NL01"]
    rows, sids = _rows(ds, areas, None)
    return {"parts": [repr(p) for p in ds.policy.parts], "checks": [repr(c) for c in ds.policy.checks],
            "indicators": [repr(i) for i in ds.indicators.values()], "rows": rows,
            "sources": [repr(ds.sources[s]) for s in sids], "status": data_status_text(ds, areas),
            "names": [ds.area_name(a) for a in areas], "policy": [ds.policy.title, ds.policy.municipality],
            "snapshot": ds.snapshot_version}


def digest(notebook: Path, parameters: dict, inputs: dict) -> str:
    payload = {"code": code_digest(), "notebook": hashlib.sha256(Path(notebook).read_bytes()).hexdigest(),
               "parameters": parameters, "inputs": inputs}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
