"""outputs/<year>/ (another municipality: outputs/<code>/<year>/): a year's reports, published as one
staged set once its notebook runs are over — the reports that ran, the scorecard (CSV, JSON,
workbook), the year's index and run.json, the year's freshness record (one digest per report,
batch/run.py compares them). A failed report keeps the previous good one (marked stale)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..data.dataset import Dataset
from .staged import StagedSet

RUN_FILE = "run.json"


def read_run(folder: Path) -> dict:
    try:
        return json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def publish_year(ds: Dataset, year: int, municipality: str, jobs: list, stage: Path, dest: Path,
                 started: str, card: pd.DataFrame | None = None) -> None:
    """Write everything new into the staging folder first (where a full disk shows up), then
    rename the finished files into place. Failed jobs keep their previous good file (stale);
    up-to-date jobs keep their files and their entry. `card`: the year's scorecard as the batch's
    scorecard notebook worked it out from the same data (worked out here when None)."""
    from ..data.datastatus import policy_indicators, provenance_nl
    from ..present.csvout import nl_csv
    from ..present.pages import year_index_html
    from ..present.xlsxout import year_workbook
    from ..verdict.scorecard import scorecard

    previous = read_run(dest).get("parts", {})
    parts, moves = {}, []
    for job in jobs:
        prev = previous.get(job.name, {})
        if job.up_to_date:
            parts[job.name] = {**prev, "title": job.title, "status": "ok", "stale": False, "error": "", "inputs": job.inputs}
        elif job.ok:
            moves += [(stage / f"{job.name}.{ext}", f"{job.name}.{ext}") for ext in ("ipynb", "html")]
            parts[job.name] = {"title": job.title, "status": "ok", "produced_at": started, "stale": False, "error": "",
                               "inputs": job.inputs, "seconds": round(job.seconds, 2)}
        else:
            if (stage / f"{job.name}.ipynb").exists():
                moves.append((stage / f"{job.name}.ipynb", f"_failed/{job.name}.ipynb"))
            have_previous = (dest / f"{job.name}.html").exists()
            parts[job.name] = {"title": job.title, "status": "failed", "error": job.error, "stale": have_previous,
                               "produced_at": prev.get("produced_at") if have_previous else None, "inputs": None}
    if card is None:
        card = scorecard(ds, year, municipality)
    own = ds.observations.table
    layers = own[own.area_code.isin([municipality, "NL01"])].layer.value_counts()
    meta = {"year": year, "municipality": municipality, "municipality_name": ds.area_name(municipality),
            "policy": ds.policy.title, "snapshot": ds.snapshot_version, "generated_at": started,
            "figures_by_layer": {k: int(layers.get(k, 0)) for k in ("local", "cache", "panel", "snapshot")},
            "sources": sorted(set(own[own.area_code.isin([municipality, "NL01"])].source_id)),
            "basis": provenance_nl(ds, [municipality, "NL01"], policy_indicators(ds)),
            "concept": len(ds.policy.unreviewed)}
    run = {**meta, "parts": parts}
    built = {
        "scorecard.csv": nl_csv(card),
        "scorecard.json": json.dumps({"meta": meta, "parts": json.loads(card.to_json(orient="records"))},
                                     ensure_ascii=False, indent=2),
        RUN_FILE: json.dumps(run, ensure_ascii=False, indent=2),
        "index.html": year_index_html(run, card, "../index.html" if municipality == ds.policy.municipality else "../../index.html"),
    }
    staged = StagedSet(stage.parent, dest, "year", stage=stage)
    for src, name in moves:
        staged.add(src, name)
    for name, text in built.items():
        staged.text(name, text)
    workbook = f"ivb-{year}.xlsx"   # the same tables for a council memo (issue #29)
    staged.data(workbook, year_workbook(ds, year, municipality, card))
    for job in jobs:
        if job.ok:
            (dest / "_failed" / f"{job.name}.ipynb").unlink(missing_ok=True)
    staged.publish()   # the year's freshness record is run.json: one digest per report
