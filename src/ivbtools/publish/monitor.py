"""outputs/monitor/<year>/ (another municipality: outputs/<code>/monitor/<year>/): the 2024–2027
monitor's page, signals.csv, statements.csv, months.csv and basis.json, published as one staged
set with its freshness record; never replaced by a set made from fewer downloaded figures."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..data.datastatus import with_national
from ..errors import IvbError
from ..present.csvout import nl_csv
from ..present.monitorpage import monitor_html, months_table, signals_csv, statements_table
from ..verdict.monitor import monitor_table
from .inputs import monitor_digest
from .staged import StagedSet, made_at, up_to_date

FILES = ("signals.csv", "statements.csv", "months.csv", "index.html", "basis.json")


def basis(ds, area: str) -> dict:
    """What a monitor page rests on: its figures by data layer and its monthly figures (a page made
    from downloaded figures is never replaced by one made from fewer, e.g. after the cache was damaged)."""
    inds = with_national(ds, [i.indicator for p in ds.monitor.priorities for i in p.indicators])
    t = ds.observations.table
    rows = t[t.area_code.isin([area, "NL01"]) & t.indicator.isin(inds)]
    m = ds.months.table
    return {"figures_by_layer": {k: int(v) for k, v in rows.layer.value_counts().items()},
            "monthly_figures": int((m.area_code.isin([area, "NL01"])).sum()) if not m.empty else 0}


def refuse_worse(ds, folder: Path, area: str) -> str:
    """'' or one line: the data are damaged (ds.warnings) and the page in `folder` was made from
    downloaded or monthly figures this run would not have."""
    if not ds.warnings:
        return ""
    try:
        before = json.loads((folder / "basis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    now = basis(ds, area)
    live = lambda b: sum(int(b.get("figures_by_layer", {}).get(k, 0)) for k in ("cache", "panel"))  # noqa: E731
    if live(before) > live(now) or int(before.get("monthly_figures", 0)) > now["monthly_figures"]:
        return (f"the download cache is damaged: {ds.warnings[0]} — the monitor page in {folder} was built from "
                f"downloaded figures and is kept; repair the cache first with `ivb fetch --refresh`")
    return ""


def monitor_folder(out_dir: Path, ds, area: str, year: int) -> Path:
    base = Path(out_dir) / "monitor" if area == ds.monitor.municipality else Path(out_dir) / area / "monitor"
    return base / str(year)


def publish_monitor(ds, year: int, out_dir, area: str | None = None, force: bool = False) -> dict:
    """The monitor of `area` (the policy's municipality when None) up to `year`: published unless
    the set in place was made from the same inputs (`force` writes it again); refused with one
    line when the data are damaged and the set in place rests on more downloaded figures.
    Returns {"folder", "written", "rows", "statements"}."""
    area = area or ds.monitor.municipality
    folder = monitor_folder(Path(out_dir), ds, area, year)
    worse = refuse_worse(ds, folder, area)
    if worse:
        raise IvbError(worse)
    inputs = monitor_digest(ds, area, year, dt.date.today().year)
    if not force and up_to_date(folder, inputs, FILES):
        return {"folder": folder, "written": False, "rows": 0, "statements": 0}
    table = monitor_table(ds, year, area)
    statements = statements_table(ds, area)
    with StagedSet(Path(out_dir), folder, "monitor") as s:
        s.text("signals.csv", nl_csv(signals_csv(table)))
        s.text("statements.csv", nl_csv(statements))
        s.text("months.csv", nl_csv(months_table(ds, area)))
        s.text("index.html", monitor_html(ds, year, area, table, statements, made_at()))
        s.text("basis.json", json.dumps(basis(ds, area), indent=1))
        s.publish(inputs)
    return {"folder": folder, "written": True, "rows": len(table), "statements": len(statements)}
