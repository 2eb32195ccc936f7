"""Tables and text for the notebooks and HTML reports (Dutch, for a council member)."""
from __future__ import annotations

import os

import pandas as pd

from .dataset import Dataset
from .evaluate import Evaluation, evaluate_check
from .fmt import nl_num, nl_p, nl_pct, nl_value


class Md:
    """Report text: shown as Markdown in JupyterLab and the HTML reports, as plain text in a
    terminal and in the stored text/plain output that nbval compares."""

    def __init__(self, text: str):
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(self.text)

    def __str__(self) -> str:
        return self.text


def verdict_md(ev: Evaluation) -> Md:
    """The verdict in bold, the sentence, and the statistics sentence."""
    parts = [f"**Oordeel: {ev.status_nl.upper()}**", "", ev.verdict_nl]
    if ev.stats_nl:
        parts += ["", ev.stats_nl]
    return Md("\n".join(parts))


def target_md(ev: Evaluation) -> Md:
    p = ev.part
    lines = [f"**{p.title}** — {ev.area_name} ({ev.area_code}), {ev.year}", "",
             f"> “{p.quote}”", "", f"Thema: {p.theme_name}. Bron van het doel: IVB 2024-2027, hoofdstuk 3.", ""]
    if p.rule:
        lines.append(f"- Getoetste regel: {p.rule.describe_nl()}.")
    if ev.indicator is not None:
        lines.append(f"- Indicator: {ev.indicator.label_nl}. {ev.indicator.definition}")
    if p.note:
        lines.append(f"- Toelichting: {p.note}")
    return Md("\n".join(lines))


def national_md(ev: Evaluation) -> Md:
    return Md(ev.national.text_nl if ev.national else "Geen landelijke reeks voor deze indicator.")


def caveats_missing_md(ev: Evaluation) -> Md:
    return Md("**Kanttekeningen**\n\n" + caveats_text(ev) + "\n\n**Ontbrekende cijfers**\n\n" + missing_text(ev))


def data_table(ds: Dataset, ev: Evaluation) -> pd.DataFrame:
    """Every figure of this indicator for the municipality and the national series, with source."""
    ind = ev.indicator
    frames = [ds.observations.series(ind.id, ev.area_code)]
    if ind.national_indicator:
        frames.append(ds.observations.series(ind.national_indicator, ind.national_area))
    t = pd.concat(frames, ignore_index=True)
    if t.empty:
        return pd.DataFrame(columns=["gebied", "jaar", "waarde", "bron", "soort bron", "opgehaald"]).set_index(["gebied", "jaar"])
    rate = ind.is_count and ind.better != "none"
    return pd.DataFrame({
        "gebied": t.area_name + " (" + t.area_code + ")",
        "jaar": t.year.astype(int),
        "waarde": [nl_value(v, ind.unit) for v in t.value],
        **({"per 1.000 inwoners": [per_1000(ds, a, int(y), v) for a, y, v in zip(t.area_code, t.year, t.value)]} if rate else {}),
        "bron": [f"{ds.sources[s].publisher}: {ds.sources[s].title}" for s in t.source_id],
        "soort bron": [ds.sources[s].kind_label for s in t.source_id],
        "opgehaald": [ds.sources[s].retrieved for s in t.source_id],
    }).set_index(["gebied", "jaar"])


def per_1000(ds: Dataset, area: str, year: int, value: float) -> str:
    """A rate per 1,000 inhabitants with the population of the same year; otherwise the nearest
    year's population, saying which; '–' when the population is not in the data."""
    pop = ds.observations.series("population", area)
    if pop.empty:
        return "–"
    same = pop[pop.year == year]
    if not same.empty and same.value.iloc[0]:
        return nl_num(1000 * value / same.value.iloc[0], 2)
    near = pop.iloc[(pop.year - year).abs().argsort()].iloc[0]
    return f"{nl_num(1000 * value / near.value, 2)} (bevolking {int(near.year)})"


def data_status_text(ds: Dataset) -> str:
    """Where the figures come from: layers, cached downloads, and failed fetch attempts."""
    from .cache import Cache

    cache = Cache(ds.root)
    rows = ds.observations.all_rows
    layers = {layer: int((rows.layer == layer).sum()) for layer in ("local", "cache", "snapshot")}
    lines = [f"Gegevens: {layers['local']} cijfers uit data/local, {layers['cache']} uit de cache van `ivb fetch`, "
             f"{layers['snapshot']} uit snapshot {ds.snapshot_version}."]
    if os.environ.get("IVB_NO_CACHE"):
        lines.append("De cache van `ivb fetch` is voor deze run uitgeschakeld (IVB_NO_CACHE).")
        return "\n".join(lines)
    metas = cache.all_meta()
    if not metas:
        lines.append("Er zijn geen live gegevens opgehaald (`ivb fetch`): de cijfers komen uit de snapshot en data/local/.")
    grouped: dict[tuple, list[str]] = {}
    for m in metas:
        key = (m.get("table_id", ""), m.get("title", ""), str(m.get("retrieved_at", ""))[:10])
        grouped.setdefault(key, []).append(m.get("area") or "alle gemeenten")
    for (table, title, day), areas in sorted(grouped.items()):
        lines.append(f"- opgehaald: {table} — {title}, op {day} ({', '.join(sorted(areas))})")
    for e in sorted(cache.read_log().values(), key=lambda e: e["at"]):
        if not e["ok"]:
            lines.append(f"- LET OP: ophalen van {e['source']} voor {e['area']} mislukte op {e['at'][:10]} ({e['message']}); "
                         f"de rapporten gebruiken de eerder opgehaalde cijfers of de snapshot.")
    return "\n".join(lines)


def key_figures(ev: Evaluation) -> pd.DataFrame:
    """Baseline, observed, change, required level, verdict and the test, one row each."""
    u = ev.indicator.unit if ev.indicator else "count"
    rule = ev.part.rule
    rows = [("Oordeel", ev.status_nl)]
    if rule and rule.baseline_year:
        rows.append((f"Basiswaarde {rule.baseline_year}", nl_value(ev.baseline.value, u) if ev.baseline else "ontbreekt"))
    rows.append((f"Waarde {ev.year}", nl_value(ev.observed.value, u) if ev.observed else "ontbreekt"))
    if ev.change_abs is not None:
        rows.append(("Verandering", f"{'+' if ev.change_abs > 0 else ''}{nl_value(ev.change_abs, u)}"
                     + (f" ({'+' if ev.change_pct > 0 else ''}{nl_num(ev.change_pct)}%)" if ev.change_pct is not None else "")))
    if ev.required is not None:
        rows.append((f"Vereist in {ev.year}", nl_num(ev.required, 1 if u == "mark" else 0)))
    if ev.test is not None:
        t = ev.test
        rows += [("Toets", t.method), ("p-waarde (eenzijdig)", nl_p(t.pvalue)),
                 ("95%-interval", f"{nl_num(t.ci_low, 2)}–{nl_num(t.ci_high, 2)}"
                  + (" (verhouding)" if t.scale == "ratio" else " (aantal)")),
                 ("Buiten de toevalsmarge", "ja" if t.beyond_chance else "nee")]
    if ev.test_both_noisy is not None:
        t2 = ev.test_both_noisy
        rows += [(f"p-waarde als ook {rule.baseline_year} ruis bevat", nl_p(t2.pvalue) + f" ({t2.method})")]
    return pd.DataFrame(rows, columns=["", "waarde"]).set_index("")


def missing_text(ev: Evaluation) -> str:
    items = list(ev.missing) + (list(ev.national.missing) if ev.national else [])
    if not items:
        return "Geen ontbrekende cijfers voor dit doel en jaar."
    lines = ["Deze cijfers ontbreken; zo zijn ze aan te vullen:", ""]
    for m in items:
        lines.append(f"- {m.text_nl()}. {m.how_to_supply()}")
    return "\n".join(lines)


def caveats_text(ev: Evaluation) -> str:
    if not ev.caveats:
        return "Geen bijzondere kanttekeningen bij deze reeks."
    return "\n".join(f"- {c}" for c in ev.caveats)


def sources_table(ds: Dataset, source_ids) -> pd.DataFrame:
    rows = [{"bron_id": s.id, "uitgever": s.publisher, "titel": s.title, "vindplaats": s.url or s.document,
             "opgehaald": s.retrieved, "soort": s.kind_label, "opmerking": s.note}
            for sid in sorted(set(source_ids)) for s in [ds.sources[sid]]]
    return pd.DataFrame(rows, columns=["bron_id", "uitgever", "titel", "vindplaats", "opgehaald", "soort", "opmerking"]).set_index("bron_id")


def sources_for(ds: Dataset, ev: Evaluation) -> pd.DataFrame:
    t = ds.observations.table
    ind = ev.indicator
    areas = [ev.area_code] + ([ind.national_area] if ind and ind.national_area else [])
    ids = t[t.indicator.isin([ind.id, ind.national_indicator]) & t.area_code.isin(areas)].source_id
    return sources_table(ds, ids)


def disagreements(ds: Dataset, indicators: list[str] | None = None) -> pd.DataFrame:
    d = ds.observations.disagreements
    if indicators is not None:
        d = d[d.indicator.isin(indicators)]
    return d.reset_index(drop=True)


def qualitative_table(ds: Dataset) -> pd.DataFrame:
    return pd.DataFrame([{"thema": p.theme_name, "doel_id": p.id, "doel": p.quote, "oordeel": "niet meetbaar (kwalitatief)",
                          "wat er volgens het IVB 2024-2027 is gedaan": p.account}
                         for p in ds.policy.parts if p.qualitative])


def checks_text(ds: Dataset) -> str:
    out = []
    for c in ds.policy.checks:
        r = evaluate_check(ds, c)
        out.append(f"- “{c.quote}” — {r['text']}")
    return "\n".join(out) if out else "Geen controleerbare uitspraken."


def scorecard_view(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard with Dutch-formatted key figures, one row per target part."""
    def num(v):
        return "–" if pd.isna(v) else nl_num(v, 1 if v != int(v) else 0)
    return pd.DataFrame({
        "thema": card.thema,
        "doel": card.doel,
        "oordeel": card.oordeel,
        "basis": [("–" if pd.isna(y) else f"{num(v)} ({y})") for v, y in zip(card.basiswaarde, card.basisjaar)],
        "waarde": [num(v) for v in card.waarde],
        "vereist": [num(v) for v in card.vereist],
        "verandering": ["–" if pd.isna(v) else nl_pct(v) for v in card.verandering_pct],
        "toets": ["–" if pd.isna(p) else nl_p(p) + (" (binnen ruis)" if r else "") for p, r in zip(card.p_waarde, card.binnen_ruis)],
        "index gemeente / NL": ["–" if pd.isna(g) or pd.isna(n) else f"{nl_num(g, 0)} / {nl_num(n, 0)}"
                                for g, n in zip(card.gemeente_index, card.landelijk_index)],
    }, index=pd.Index(card.doel_id, name="doel_id"))


def disagreements_text(ds: Dataset, ev: Evaluation | None = None) -> str:
    inds = None
    if ev is not None and ev.indicator is not None:
        inds = [ev.indicator.id] + ([ev.indicator.national_indicator] if ev.indicator.national_indicator else [])
    d = disagreements(ds, inds)
    if d.empty:
        return "Geen verschillen tussen bronnen voor deze cijfers."
    lines = ["Bronnen die een ander cijfer geven (gekozen volgens de voorrangsregel: data/local > cache > snapshot; "
             "daarbinnen analist > officiële tabel > beleidsdocument > persbericht):"]
    for r in d.itertuples():
        lines.append(f"- {r.indicator} {r.area_code} {r.year}: gekozen {r.chosen_value:g} ({r.chosen_source}), "
                     f"ook {r.other_value:g} ({r.other_source}), verschil {r.difference:+g}")
    return "\n".join(lines)


def verdicts_text(card: pd.DataFrame) -> str:
    return "\n".join(f"- {r.doel_id}: {r.toelichting}" for r in card.itertuples())


def series_table(ds: Dataset, indicator: str, area: str) -> pd.DataFrame:
    """Municipality and national values side by side per year, with the source ids."""
    ind = ds.indicators[indicator]
    local = ds.observations.series(indicator, area).set_index("year")
    cols = {f"{ds.area_name(area)}": local.value, "bron gemeente": local.source_id}
    if ind.national_indicator:
        nat = ds.observations.series(ind.national_indicator, ind.national_area).set_index("year")
        cols.update({"Nederland": nat.value, "bron landelijk": nat.source_id})
    t = pd.DataFrame(cols).sort_index()
    t.index.name = "jaar"
    for c in (ds.area_name(area), "Nederland"):
        if c in t:
            t[c] = [nl_value(v, ind.unit) if pd.notna(v) else "·" for v in t[c]]
    return t.fillna("·")
