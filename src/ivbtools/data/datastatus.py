"""Where a report's figures come from: data layers, downloads, damaged entries, failed fetches.

Restricted to the indicators and areas a report shows, so that a figure added for another
indicator or municipality does not change this report (and an incremental batch can skip it).
Light on imports on purpose: `ivb run` computes it for every report to decide what changed.
"""
from __future__ import annotations

from .cache import Cache
from .dataset import Dataset
from .providers import embedded_only


def data_status_text(ds: Dataset, areas: list[str] | None = None, indicators: list[str] | None = None) -> str:
    cache = Cache(ds.root)
    rows = ds.observations.all_rows
    if areas is not None:
        rows = rows[rows.area_code.isin(areas)]
    if indicators is not None:
        rows = rows[rows.indicator.isin(indicators)]
    layers = {layer: int((rows.layer == layer).sum()) for layer in ("local", "cache", "panel", "snapshot")}
    panel = (f"{layers['panel']} uit de landelijke download van `ivb fetch --all-municipalities`, "
             if layers["panel"] else "")
    lines = [f"Gegevens: {layers['local']} cijfers uit data/local, {layers['cache']} uit de cache van `ivb fetch`, "
             f"{panel}{layers['snapshot']} uit snapshot {ds.snapshot_version}."]
    if embedded_only(ds.root):
        lines.append("Voor deze run zijn alleen de ingebouwde gegevens gebruikt (IVB_EMBEDDED_ONLY): data/local/ en "
                     "de cache van `ivb fetch` tellen niet mee.")
        return "\n".join(lines)
    fetched = sorted(set(rows[rows.layer.isin(["cache", "panel"])].source_id))
    if not fetched:
        lines.append("Geen van deze cijfers is live opgehaald (`ivb fetch`): ze komen uit de snapshot en data/local/.")
    for sid in fetched:
        src = ds.sources.get(sid)
        if src is not None:
            lines.append(f"- opgehaald: {src.title}, op {src.retrieved}")
    for w in ds.warnings:
        lines.append(f"- LET OP: {w}")
    failed: dict[str, list[dict]] = {}
    for e in sorted(cache.read_log().values(), key=lambda e: str(e.get("at", ""))):
        if not e.get("ok", True) and (areas is None or e.get("area") in areas):
            failed.setdefault(e["source"], []).append(e)
    for source, es in failed.items():
        where = ", ".join(sorted({e["area"] for e in es}))
        lines.append(f"- LET OP: ophalen van {source} voor {where} mislukte op {str(es[-1]['at'])[:10]} "
                     f"({es[-1]['message']}); de rapporten gebruiken de eerder opgehaalde cijfers of de snapshot.")
    return "\n".join(lines)
