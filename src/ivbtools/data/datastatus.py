"""Where a report's figures come from: data layers, downloads, damaged entries, failed fetches.

Restricted to the indicators and areas a report shows, so that a figure added for another
indicator or municipality does not change this report (and an incremental batch can skip it).
Light on imports on purpose: `ivb run` computes it for every report to decide what changed.
"""
from __future__ import annotations

from ..fmt import nl_date
from .cache import PANEL, Cache
from .dataset import Dataset
from .providers import embedded_only

# The live sources of data/live.yaml by the name a Dutch reader knows them.
SOURCE_NAMES_NL = {"police-crimes": "de politiecijfers over misdrijven", "police-nuisance": "de politiecijfers over overlast",
                   "cbs-population": "de bevolkingscijfers van CBS", "bron": "de ongevallencijfers van BRON (Rijkswaterstaat)"}

# What went wrong, in Dutch, from the one-line English message of `ivb fetch` (live/neterrors.py;
# tests/test_pages.py checks every message kind it writes has a Dutch reading here).
REASONS_NL = (
    ("proxy", "de proxyserver weigerde of was niet bereikbaar"),
    ("host name could not be resolved", "geen internetverbinding: de naam van de server was niet te vinden"),
    ("no answer within", "geen antwoord binnen de gestelde tijd"),
    ("HTTP 404", "de tabel is niet (meer) te vinden"),
    ("HTTP", "de server weigerde het verzoek of had een storing"),
    ("connection was dropped", "de verbinding werd tijdens het ophalen verbroken"),
    ("cut off", "de overdracht werd afgebroken"),
    ("cannot connect", "geen verbinding met de bron"),
    ("not the expected JSON", "het antwoord had niet de verwachte vorm"),
    ("does not validate", "het antwoord had niet de verwachte vorm"),
    ("requested figures", "het antwoord was onvolledig: er ontbraken gevraagde cijfers"),
    ("twice", "het antwoord herhaalde rijen"),
    ("no other table in the catalogue fits", "de tabel is er niet meer en er is geen opvolger gevonden"),
    ("cannot write the cache", "de cache kon niet worden bijgewerkt"),
)


def reason_nl(message: str) -> str:
    for needle, text in REASONS_NL:
        if needle.lower() in message.lower():
            return text
    return "een fout; `ivb fetch` toont de melding"


def _shown_rows(ds: Dataset, areas: list[str] | None, indicators: list[str] | None):
    """The figures used (one per indicator, area and year) that a page shows: the one count on every page."""
    if areas is not None and indicators is not None:
        return ds.observations.rows_of(indicators, areas)
    rows = ds.observations.table
    if areas is not None:
        rows = rows[rows.area_code.isin(areas)]
    if indicators is not None:
        rows = rows[rows.indicator.isin(indicators)]
    return rows


def data_status_text(ds: Dataset, areas: list[str] | None = None, indicators: list[str] | None = None) -> str:
    cache = Cache(ds.root)
    rows = _shown_rows(ds, areas, indicators)
    layers = {layer: int((rows.layer == layer).sum()) for layer in ("local", "cache", "panel", "snapshot")}
    panel = (f"{layers['panel']} uit de landelijke download van `ivb fetch --all-municipalities`, "
             if layers["panel"] else "")
    lines = [f"Gebruikte cijfers: {layers['local']} uit data/local, {layers['cache']} uit de cache van `ivb fetch`, "
             f"{panel}{layers['snapshot']} uit snapshot {ds.snapshot_version}."]
    if embedded_only(ds.root):
        lines.append("Hier zijn alleen de ingebouwde gegevens gebruikt (IVB_EMBEDDED_ONLY): data/local/ en "
                     "de cache van `ivb fetch` tellen niet mee.")
        return "\n".join(lines)
    fetched = sorted(set(rows[rows.layer.isin(["cache", "panel"])].source_id))
    if not fetched:
        lines.append("Geen van deze cijfers is live opgehaald (`ivb fetch`): ze komen uit de snapshot en data/local/.")
    for sid in fetched:
        src = ds.sources.get(sid)
        if src is not None:
            lines.append(f"- opgehaald: {src.title_nl}, op {nl_date(src.retrieved)}")
    for w in ds.warnings:
        lines.append(f"- LET OP: {w}")
    failed: dict[str, list[dict]] = {}
    for e in sorted(cache.read_log().values(), key=lambda e: str(e.get("at", ""))):
        if e.get("ok", True) or (areas is not None and e.get("area") not in areas and e.get("area") != PANEL):
            continue
        if indicators is not None and e.get("indicators") and not set(e["indicators"]) & set(indicators):
            continue   # a source this page does not use
        failed.setdefault(e["source"], []).append(e)
    for source, es in failed.items():
        where = ", ".join(sorted({"alle gemeenten" if e["area"] == PANEL else e["area"] for e in es}))
        lines.append(f"- LET OP: het ophalen van {SOURCE_NAMES_NL.get(source, source)} voor {where} mislukte op "
                     f"{nl_date(str(es[-1]['at'])[:10])} ({reason_nl(es[-1].get('message', ''))}); deze pagina gebruikt "
                     f"de eerder opgehaalde cijfers of de ingebouwde momentopname.")
    return "\n".join(lines)


def _short_publisher(publisher: str) -> str:
    """'Politie (open data via CBS, dataderden.cbs.nl)' → 'Politie'."""
    return publisher.split(" (")[0].strip()


def basis_short(ds: Dataset) -> str:
    """The data a run rests on, for a footer line: the embedded snapshot only, or downloaded figures
    (retrieved up to which day) beside it — never 'snapshot v1' alone when live figures were used."""
    t = ds.observations.table
    fetched = t[t.layer.isin(["cache", "panel"])]
    if fetched.empty or embedded_only(ds.root):
        return f"ingebouwde momentopname {ds.snapshot_version}"
    days = [str(ds.sources[s].retrieved) for s in fetched.source_id.unique() if s in ds.sources]
    newest = f", opgehaald t/m {nl_date(max(days))}" if days else ""
    return f"gedownloade cijfers{newest}, met de ingebouwde momentopname {ds.snapshot_version}"


def provenance_nl(ds: Dataset, areas: list[str] | None = None, indicators: list[str] | None = None) -> str:
    """One line a council member reads at the top of a report: which data this page rests on,
    up to which year, retrieved when — or that only the embedded snapshot was used (offline).
    Built from the figures the page shows (areas × indicators), grouped by publisher."""
    rows = _shown_rows(ds, areas, indicators)
    if rows.empty:
        return "Cijfers: nog geen voor deze indicator."
    parts: dict[str, tuple[int, str]] = {}
    keys: dict[str, set[str]] = {}   # publisher -> the live source keys (data/live.yaml) its figures came from
    for sid, grp in rows.groupby("source_id"):
        src = ds.sources.get(sid)
        if src is None:
            continue
        name = _short_publisher(src.publisher)
        last, retrieved = parts.get(name, (0, ""))
        parts[name] = (max(last, int(grp.year.max())), max(retrieved, src.retrieved))
        if (grp.layer.isin(["cache", "panel"])).any():
            keys.setdefault(name, set()).add(str(sid))
    failed = _failed_since(ds, areas, keys, parts)
    text = "; ".join(f"{name} t/m {last} (opgehaald {nl_date(ret)}{failed.get(name, '')})"
                     for name, (last, ret) in sorted(parts.items()))
    live = rows.layer.isin(["cache", "panel"]).any() and not embedded_only(ds.root)
    basis = ("" if live else f" Alleen de ingebouwde momentopname ({ds.snapshot_version}) en cijfers van de analist: "
             f"geen cijfers van vandaag uit de bronnen (offline, of nog niet opgehaald).")
    return f"Cijfers: {text}.{basis}"


def _failed_since(ds: Dataset, areas, keys: dict[str, set[str]], parts: dict[str, tuple[int, str]]) -> dict[str, str]:
    """Per publisher: the latest failed fetch of a source this page's figures came from, when it came
    after those figures were retrieved (an outage: the page rests on older figures than the run)."""
    if embedded_only(ds.root) or not keys:
        return {}
    log = Cache(ds.root).read_log()
    out = {}
    for name, sids in keys.items():
        retrieved = parts[name][1]
        late = [e for e in log.values() if isinstance(e, dict) and not e.get("ok", True)
                and any(sid.startswith(f"{e.get('source', '')}-") for sid in sids)
                and (areas is None or e.get("area") in areas or e.get("area") == PANEL)
                and str(e.get("at", ""))[:10] > retrieved]
        if late:
            e = max(late, key=lambda e: str(e.get("at", "")))
            out[name] = (f"; ophalen op {nl_date(str(e['at'])[:10])} mislukt ({reason_nl(e.get('message', ''))}), "
                         f"dus deze cijfers zijn ouder dan deze pagina")
    return out


def with_national(ds: Dataset, indicators) -> list[str]:
    """The indicators with their national counterparts (what a page about them shows)."""
    out = set(indicators)
    out |= {ds.indicators[i].national_indicator for i in indicators if ds.indicators[i].national_indicator}
    return sorted(out)


def policy_indicators(ds: Dataset) -> list[str]:
    """The indicators the policy's measurable targets use, with their national counterparts."""
    return with_national(ds, [p.indicator for p in ds.policy.parts if p.measurable and p.indicator])
