"""The peer comparison of a report: the same rule applied to every peer (k of n), and funnel plots.

Above the all-municipality table (it reads every peer's verdict from there); the funnels
(Spiegelhalter 2005) place the municipality among its peers without ranking them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import stats
from ..data.dataset import Dataset
from ..data.rates import PER
from ..panel.table import MIN_PANEL_AREAS
from ..panel.view import membership, rates
from .alltable import table_for
from .rules import MET, NO_VERDICT, required_ratio

Z95, Z998 = 1.959963984540054, 3.090232306167813


@dataclass
class Funnel:
    """One funnel plot (Spiegelhalter 2005): each unit's estimate against its precision, with
    limits around one centre — the group's pooled value — widened by the group's additive
    overdispersion (DerSimonian-Laird, no winsorising). Positions use the same centre. Units with
    a count of 0 are kept (estimated with half a count for the spread; placed by exact tails)."""
    what: str                    # "verandering" or "per 1.000 inwoners"
    data: pd.DataFrame           # gemeente, naam, x (precision axis: a count), y (estimate), is_self, count
    centre: float                # the group's value (pooled; limits and positions both around it)
    tau2: float                  # additive overdispersion on the log scale
    x_label: str
    required: float | None = None   # the level the rule requires (change funnel only)

    def limits(self, x, z: float) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        if self.what != "verandering" and self.tau2 == 0:   # exact Poisson limits, as FunnelPlotR
            lo, hi = stats.poisson_limits(x, z)
            return self.centre * lo, self.centre * hi
        var = self._poisson_var(x) + self.tau2
        return self.centre * np.exp(-z * np.sqrt(var)), self.centre * np.exp(z * np.sqrt(var))

    def _poisson_var(self, x):
        if self.what == "verandering":   # x: baseline count; new ~ Poisson(centre * x)
            return 1 / (self.centre * x) + 1 / x
        return 1 / x                      # x: expected count at the group's rate

    def position(self, code: str) -> str:
        row = self.data[self.data.gemeente == code]
        if row.empty:
            return "geen cijfers"
        r = row.iloc[0]
        if self.what == "verandering":
            x, y = float(r.x), float(r.y)
            inside = [(lo <= y <= hi) for lo, hi in (tuple(float(v) for v in self.limits(x, z)) for z in (Z95, Z998))]
            above = y > self.centre
        else:   # exact tails of the count around the centre's expected count
            low, high = stats.count_tails(r["count"], r.x, self.tau2)
            inside = [min(low, high) >= stats.norm_tail(z) for z in (Z95, Z998)]
            above = high < low
        if inside[0]:
            return "binnen de 95%-grenzen: niet te onderscheiden van de groep"
        side = "boven" if above else "onder"
        if inside[1]:
            return f"{side} de 95%-grens maar binnen de 99,8%-grens: mogelijk afwijkend"
        return f"{side} de 99,8%-grens: duidelijk afwijkend van de groep"


@dataclass
class PeerComparison:
    code: str
    name: str
    year: int
    part_id: str
    rule_nl: str
    peers: list[str]
    table: pd.DataFrame          # the national-table rows of the peers (and the municipality)
    k_met: int
    k_clear: int
    k_not: int
    k_clear_not: int
    k_missing: int
    change: Funnel | None
    rate: Funnel | None
    how: str

    @property
    def n(self) -> int:
        return len(self.peers)

    @property
    def k_of_n(self) -> str:
        return f"{self.k_met} van {self.n} ({self.k_clear} duidelijk)"


def _funnel_change(t: pd.DataFrame, code: str, required: float) -> Funnel | None:
    ok = t[(t.basis > 0) & t.waarde.notna()]
    if len(ok) < 5:
        return None
    centre = float(ok.waarde.sum() / ok.basis.sum())
    s = np.sqrt(1 / (centre * ok.basis) + 1 / ok.basis)
    y = np.maximum(ok.waarde, 0.5) / ok.basis   # a count of 0 as half a count (on the log scale)
    _, tau2 = stats.funnel_tau2(np.log(y), s, np.log(centre))
    data = pd.DataFrame({"gemeente": ok.gemeente, "naam": ok.naam, "x": ok.basis, "y": y, "is_self": ok.gemeente == code,
                         "count": ok.waarde})
    return Funnel("verandering", data, centre, tau2, "aantal in het basisjaar", required)


def _funnel_rate(t: pd.DataFrame, code: str) -> Funnel | None:
    ok = t[(t.inwoners > 0) & t.waarde.notna()]
    if len(ok) < 5:
        return None
    rate = float(ok.waarde.sum() / ok.inwoners.sum())   # per inhabitant
    expected = rate * ok.inwoners
    y = np.maximum(ok.waarde, 0.5) / expected
    _, tau2 = stats.funnel_tau2(np.log(y), np.sqrt(1 / expected), 0.0)   # centre: the pooled rate itself
    data = pd.DataFrame({"gemeente": ok.gemeente, "naam": ok.naam, "x": expected, "y": ok.per_1000_inwoners,
                         "is_self": ok.gemeente == code, "count": ok.waarde})
    return Funnel("per 1.000 inwoners", data, rate * PER, tau2, "verwacht aantal bij het groepsgemiddelde")


def compare(ds: Dataset, part_id: str, code: str, year: int) -> PeerComparison | None:
    """The same rule applied to every peer of `code` (from the national table), with funnels on
    the change and on the rate per 1,000 inhabitants; None without a panel, and for a fixed level (a
    threshold is the municipality's own, not a change other municipalities could meet)."""
    if ds.policy.part(part_id).rule.is_threshold:
        return None
    mem = membership(ds, year)
    if mem is None or code not in mem.codes:
        return None
    nat = table_for(ds, year)
    peers = mem.peers_of(code)
    t = nat[(nat.doel_id == part_id) & nat.gemeente.isin(peers + [code])]
    pt = t[t.gemeente != code]
    judged = pt[~pt.status.isin(NO_VERDICT)]
    met = judged.status.isin(MET)
    part = ds.policy.part(part_id)
    return PeerComparison(
        code=code, name=ds.area_name(code), year=year, part_id=part_id, rule_nl=mem.rule_nl, peers=peers, table=t,
        k_met=int(met.sum()), k_clear=int((met & (judged.kwalificatie == stats.CLEAR_MET)).sum()),
        k_not=int((~met).sum()), k_clear_not=int((~met & (judged.kwalificatie == stats.CLEAR_NOT_MET)).sum()),
        k_missing=len(pt) - len(judged) + (len(peers) - len(pt)),
        change=_funnel_change(t, code, required_ratio(part.rule, year)) if year > part.rule.baseline_year else None,
        rate=_funnel_rate(t, code), how=mem.how.get(code, ""))


SUPPLY_NL = ("Aanvullen: `ivb fetch --all-municipalities` (internet nodig; één download per tabel), daarna "
             "`ivb run` opnieuw.")


def missing_text(ds: Dataset, indicator: str, code: str, year: int, how: bool = True) -> str:
    """What the peer comparison lacks on data without a panel, and (`how`: for an analyst) how to
    supply it — the command stays out of a council member's part."""
    t = ds.observations.table
    gm = t[t.area_code.str.startswith("GM")]
    with_ind = sorted(set(gm[gm.indicator == indicator].area_code))
    with_pop = sorted(set(gm[(gm.indicator == "population") & (gm.year <= year)].area_code))
    names = ", ".join(ds.area_name(c) for c in with_ind[:5]) + (", …" if len(with_ind) > 5 else "")
    return (f"Voor de vergelijking met vergelijkbare gemeenten zijn cijfers van alle gemeenten nodig. Nu aanwezig: "
            f"{ds.indicators[indicator].label_nl} voor {len(with_ind)} gemeente(n)"
            + (f" ({names})" if with_ind else "")
            + f", inwonertallen voor {len(with_pop)} gemeente(n); nodig zijn er minstens {MIN_PANEL_AREAS}."
            + (f" {SUPPLY_NL}" if how else ""))


def scorecard_cell(ds: Dataset, part, year: int, area: str) -> str:
    """The scorecard's 'k van n vergelijkbare gemeenten' cell for one part."""
    if part.qualitative:
        return "n.v.t. (kwalitatief)"
    if part.rule.is_threshold:
        return "n.v.t. (eigen enquête)" if not ds.indicators[part.indicator].is_count else "n.v.t. (eigen grens)"
    if year <= part.rule.baseline_year:
        return "n.v.t. (basisjaar)"
    cmp = compare(ds, part.id, area, year)
    if cmp is None:
        return "geen vergelijking: de cijfers van alle gemeenten ontbreken"
    return cmp.k_of_n


def peer_series(ds: Dataset, indicator: str, code: str, year: int) -> pd.DataFrame | None:
    """Per year: the municipality's figure per 1,000 inhabitants beside its peer group's median
    and quartiles (the group of `year`); None without a panel. Years without a population
    figure for the municipality (e.g. before a merger, on CBS's boundaries of that year) stay
    empty."""
    mem = membership(ds, year)
    if mem is None or code not in mem.codes:
        return None
    rate = rates(ds, indicator)
    group = rate.loc[mem.peers_of(code)]
    out = pd.DataFrame({
        "jaar": list(rate.columns),
        "gemeente": rate.loc[code].to_numpy(),
        "groep_p25": group.quantile(0.25).to_numpy(),
        "groep_mediaan": group.median().to_numpy(),
        "groep_p75": group.quantile(0.75).to_numpy(),
        "groep_n": group.notna().sum().to_numpy(),
    })
    return out[out.groep_n > 0].reset_index(drop=True)
