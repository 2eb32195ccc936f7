"""Peer groups ("vergelijkbare gemeenten") and the dispersion estimated across them.

The rule is data (data/peers.yaml): a population band around the municipality's own
population, the same urbanisation class where the data give it, at least `min_peers`
members; or a fixed list of codes. Membership for all municipalities at once is one boolean
matrix, so the national table gets every municipality's peer group and peer dispersion in a
few vectorised steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import stats
from .dataset import Dataset
from .errors import IvbError
from .panel import MIN_PANEL_AREAS, Panel, build_panel
from .yamlio import read_yaml

FILE = "peers.yaml"
URBAN_COVERAGE = 0.9   # the class is used when at least this share of municipalities has one


@dataclass(frozen=True)
class PeerConfig:
    band: tuple[float, float] = (0.5, 2.0)
    same_class: bool = True
    min_peers: int = 10
    groups: dict | None = None


def load_config(data_dir: Path) -> PeerConfig:
    path = Path(data_dir) / FILE
    if not path.is_file():
        return PeerConfig(groups={})
    d = read_yaml(path) or {}
    dflt = d.get("default") or {}
    band = dflt.get("population_band", [0.5, 2.0])
    if not (isinstance(band, list) and len(band) == 2 and all(isinstance(b, (int, float)) for b in band) and 0 < band[0] < 1 < band[1]):
        raise IvbError(f"{path}: default.population_band must be two numbers around 1, e.g. [0.5, 2.0]")
    mp = dflt.get("min_peers", 10)
    if not isinstance(mp, int) or mp < 2:
        raise IvbError(f"{path}: default.min_peers must be a whole number of 2 or more")
    groups = d.get("groups") or {}
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        raise IvbError(f"{path}: groups must map a municipality code to a list of codes, e.g. GM1969: [GM0014, GM1966]")
    return PeerConfig(band=(float(band[0]), float(band[1])), same_class=bool(dflt.get("same_urbanisation_class", True)),
                      min_peers=mp, groups={str(k): [str(c) for c in v] for k, v in groups.items()})


@dataclass
class Membership:
    """Peer groups of every municipality of the panel for one year."""
    codes: list[str]
    matrix: np.ndarray          # matrix[i, j]: j is a peer of i (never i itself)
    how: dict[str, str]         # per code: 'band', 'nearest' (band too small) or 'list'
    rule_nl: str
    pop_year: dict = field(default_factory=dict)   # per code: the year whose population chose the group (None: none)

    def peers_of(self, code: str) -> list[str]:
        i = self.codes.index(code)
        return [c for c, m in zip(self.codes, self.matrix[i]) if m]


def membership(ds: Dataset, year: int, panel: Panel | None = None) -> Membership | None:
    """Peer groups for `year`; None when the panel lacks population figures for the rule."""
    key = ("membership", year)
    memo = ds.memo
    if key in memo:
        return memo[key]
    panel = panel or build_panel(ds)
    cfg = load_config(ds.root)
    if ds.municipalities is not None:
        for owner, members in (cfg.groups or {}).items():
            bad = [c for c in [owner] + members if c not in ds.municipalities]
            if bad:
                raise IvbError(f"{ds.root / FILE}: groups.{owner} names {', '.join(bad)}, not a municipality in "
                               f"data/municipalities.csv — correct the code(s)")
    pop = panel.latest("population", year) if panel.codes else pd.Series(dtype=float)
    if int(pop.notna().sum()) < MIN_PANEL_AREAS:
        memo[key] = None
        return None
    codes = panel.codes
    p = pop.to_numpy(dtype=float)
    urban = panel.latest("urbanisation_class", year) if "urbanisation_class" in panel.indicators else None
    use_class = cfg.same_class and urban is not None and urban.notna().mean() >= URBAN_COVERAGE
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = p[None, :] / p[:, None]
        logdist = np.abs(np.log(ratio))
    valid = np.isfinite(logdist)
    np.fill_diagonal(valid, False)
    same = np.ones_like(valid)
    if use_class:
        u = urban.to_numpy(dtype=float)
        same = (u[None, :] == u[:, None])
    band = valid & same & (ratio >= cfg.band[0]) & (ratio <= cfg.band[1])
    how = {}
    m = band.copy()
    for i, c in enumerate(codes):
        if c in (cfg.groups or {}):
            m[i] = np.isin(codes, [x for x in cfg.groups[c] if x != c])
            how[c] = "list"
        elif not np.isfinite(p[i]):
            m[i] = False
            how[c] = "none"
        elif band[i].sum() >= cfg.min_peers:
            how[c] = "band"
        else:   # the min_peers nearest in population, of the same class where there are enough
            cand = valid[i] & same[i] if (valid[i] & same[i]).sum() >= cfg.min_peers else valid[i]
            d = np.where(cand, logdist[i], np.inf)
            m[i] = False
            m[i, np.argsort(d, kind="stable")[:cfg.min_peers]] = True
            m[i] &= np.isfinite(d)
            how[c] = "nearest"
    lo, hi = cfg.band
    rule = (f"gemeenten met {_nl(lo)} tot {_nl(hi)} keer zoveel inwoners"
            + (" en dezelfde mate van stedelijkheid (de klasse waarin hun middelste inwoner woont)" if use_class else "")
            + f" (data/peers.yaml; minstens {cfg.min_peers}, anders de {cfg.min_peers} die qua inwonertal het dichtst bij liggen)")
    if not use_class and cfg.same_class:
        rule += "; de mate van stedelijkheid ontbreekt in de gegevens, dus alleen op inwonertal gekozen"
    years_used = panel.latest_year("population", year)
    res = Membership(codes, m, how, rule, {c: (None if pd.isna(y) else int(y)) for c, y in years_used.items()})
    memo[key] = res
    return res


def _nl(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def excluded_years(ind) -> tuple[list[int], list[int]]:
    """(break years, abnormal years) of an indicator that apply everywhere: terms of the
    dispersion estimate never include them (a break year is a transition year)."""
    breaks = [c.crosses_year for c in ind.caveats if c.kind == "break" and not c.areas]
    abnormal = sorted({y for c in ind.caveats if c.kind == "abnormal_year" and not c.areas for y in c.in_years})
    return breaks, abnormal


def is_abnormal(ind, years: list[int], area: str) -> bool:
    """Whether the baseline or the evaluation year is an abnormal year of this indicator."""
    return any(c.kind == "abnormal_year" and c.applies(years, area) for c in ind.caveats)


def national_series(ds: Dataset, ind, years: list[int]) -> np.ndarray:
    """The national counterpart's counts aligned to `years` (NaN where missing)."""
    nat = ds.observations.series(ind.national_indicator or ind.id, ind.national_area or "NL01")
    by_year = dict(zip(nat.year.astype(int), nat.value.astype(float)))
    return np.array([by_year.get(y, np.nan) for y in years], dtype=float)


def _terms(ds: Dataset, indicator: str) -> dict:
    """Per municipality of the panel: second- and first-difference terms of log(count / national)
    (shared year shocks removed), abnormal and break years left out. They do not depend on the
    evaluation year, only the groups do: computed once per dataset."""
    key = ("dispersion-terms", indicator)
    if key not in ds.memo:
        panel = build_panel(ds)
        ind = ds.indicators[indicator]
        breaks, abnormal = excluded_years(ind)
        counts = panel.counts(indicator).to_numpy()
        ref = national_series(ds, ind, panel.years)
        ref = ref if np.isfinite(ref).sum() >= 3 else None
        S2, m2 = stats.dispersion_terms(counts, panel.years, breaks, abnormal, reference=ref)
        S1, m1 = stats.first_difference_terms(counts, panel.years, breaks, abnormal, reference=ref)
        ds.memo[key] = {"S2": S2, "m2": m2, "S1": S1, "m1": m1, "relative": ref is not None,
                        "excluded": tuple(sorted(set(breaks) | set(abnormal)))}
    return ds.memo[key]


def year_shocks(ds: Dataset, indicator: str) -> stats.YearShocks | None:
    """The variation shared by every municipality, from the national series (memoised)."""
    key = ("year-shocks", indicator)
    if key not in ds.memo:
        ind = ds.indicators[indicator]
        nat = ds.observations.series(ind.national_indicator or ind.id, ind.national_area or "NL01")
        breaks, abnormal = excluded_years(ind)
        if len(nat) < 3:
            ds.memo[key] = None
        else:
            years = list(range(int(nat.year.min()), int(nat.year.max()) + 1))
            ds.memo[key] = stats.common_shocks(years, national_series(ds, ind, years), breaks, abnormal)
    return ds.memo[key]


def peer_tau(ds: Dataset, indicator: str, year: int) -> pd.DataFrame:
    """Per municipality the idiosyncratic overdispersion tau of `indicator` estimated across its
    peers (and itself) from the panel, the number of second-difference terms behind it and the
    lag-one autocorrelation of the yearly deviations. Columns: tau (NaN when fewer than MIN_TERMS
    terms), terms, rho."""
    memo = ds.memo
    key = ("tau", indicator, year)
    if key in memo:
        return memo[key]
    mem = membership(ds, year)
    if mem is None:
        return pd.DataFrame({"tau": [], "terms": [], "rho": []})
    t = _terms(ds, indicator)
    group = (mem.matrix | np.eye(len(mem.codes), dtype=bool)).astype(float)
    gS2, gm2, gS1, gm1 = group @ t["S2"], group @ t["m2"], group @ t["S1"], group @ t["m1"]
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.sqrt(np.clip(gS2 / gm2, 0, None))
        rho = np.clip(3 - 3 * (gS2 / gm2) / (gS1 / gm1), -stats.MAX_RHO, stats.MAX_RHO)
    rho = np.where((gS1 > 0) & (gS2 > 0) & (gm1 > 0), rho, np.nan)
    terms = (gm2 / 6).astype(int)
    out = pd.DataFrame({"tau": np.where(terms >= MIN_TERMS, tau, np.nan), "terms": terms, "rho": rho}, index=mem.codes)
    memo[key] = out
    return out


def _dispersion(ds: Dataset, indicator: str, area: str, years: list[int], tau_idio: float, rho: float | None,
                terms: int, origin: str, method: str, rows: np.ndarray) -> stats.Dispersion:
    """Assemble a Dispersion: the idiosyncratic tau widened for autocorrelation over the lag of
    the comparison, plus the shared year variation for an absolute verdict."""
    ind = ds.indicators[indicator]
    t = _terms(ds, indicator)
    lag = max(years) - min(years)
    rho = None if rho is None or not np.isfinite(rho) else float(rho)
    widen = stats.lag_factor(rho, lag)
    idio = tau_idio * float(np.sqrt(widen))
    abnormal = is_abnormal(ind, years, area)
    shocks = year_shocks(ds, indicator) if t["relative"] else None
    tau, shared = stats.combine(idio, shocks, abnormal)
    panel = build_panel(ds)
    have = panel.counts(indicator).notna().any(axis=0)
    return stats.Dispersion(tau=tau, years=tuple(int(y) for y in have[have].index), df=terms, pearson_phi=float("nan"),
                            method=method, origin=origin, tau_idio=tau_idio if t["relative"] else None,
                            tau_common=shared, abnormal=abnormal and shared is not None, rho=rho, widened=widen,
                            interval=stats.bootstrap_interval(t["S2"][rows], t["m2"][rows]),
                            excluded_years=t["excluded"])


def peer_dispersion(ds: Dataset, indicator: str, area: str, year: int, years: list[int] | None = None) -> stats.Dispersion | None:
    """The Dispersion (for evaluate) of `area` from its peers, or None without a panel or with too
    few usable terms in the group. `years`: the baseline and evaluation years compared."""
    t = peer_tau(ds, indicator, year)
    if area not in t.index or not np.isfinite(t.loc[area, "tau"]):   # NaN: fewer than MIN_TERMS terms
        return None
    mem = membership(ds, year)
    i = mem.codes.index(area)
    n = int(mem.matrix[i].sum())
    rows = mem.matrix[i] | (np.arange(len(mem.codes)) == i)
    terms = int(t.loc[area, "terms"])
    return _dispersion(ds, indicator, area, years or [year - 1, year], float(t.loc[area, "tau"]), t.loc[area, "rho"],
                       terms, "peers", f"over {n} vergelijkbare gemeenten en de gemeente zelf ({_how(ds, indicator)}; "
                                       f"{terms} termen)", rows)


def _how(ds: Dataset, indicator: str) -> str:
    t = _terms(ds, indicator)
    rel = "van log(aantal / landelijk aantal), zodat gedeelde jaarschokken wegvallen" if t["relative"] else \
        "van de log-tellingen"
    skip = f", zonder {', '.join(map(str, t['excluded']))}" if t["excluded"] else ""
    return f"tweede verschillen {rel}{skip}, momentschatter van tau²"


def pool_tau(ds: Dataset, indicator: str, year: int) -> tuple[float, int, float | None] | None:
    """The idiosyncratic tau of `indicator` pooled over every municipality of the panel (the
    fallback when a peer group has too few usable terms), with its number of terms and its
    autocorrelation; None when even the pool has fewer than MIN_TERMS."""
    if membership(ds, year) is None:
        return None
    t = _terms(ds, indicator)
    terms = int(np.sum(t["m2"]) / 6)
    if terms < MIN_TERMS:
        return None
    return float(stats.pooled_tau(t["S2"], t["m2"])), terms, stats.autocorrelation(t["S2"], t["m2"], t["S1"], t["m1"])


def pool_dispersion(ds: Dataset, indicator: str, year: int, years: list[int] | None = None,
                    area: str = "") -> stats.Dispersion | None:
    """The Dispersion (for evaluate) pooled over every municipality, or None."""
    pooled = pool_tau(ds, indicator, year)
    if pooled is None:
        return None
    tau, terms, rho = pooled
    rows = np.ones(len(build_panel(ds).codes), dtype=bool)
    return _dispersion(ds, indicator, area, years or [year - 1, year], tau, rho, terms, "pool",
                       f"over alle gemeenten samen, omdat de vergelijkbare gemeenten te weinig bruikbare jaren hebben "
                       f"({_how(ds, indicator)}; {terms} termen)", rows)


def has_panel(ds: Dataset, year: int) -> bool:
    """Whether the data hold a panel of municipalities with population figures for `year`."""
    return membership(ds, year) is not None


MIN_TERMS = 100   # fewer second-difference terms across the group: no panel estimate (own series, or the tipping point)


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
    return Funnel("per 1.000 inwoners", data, rate * 1000, tau2, "verwacht aantal bij het groepsgemiddelde")


def compare(ds: Dataset, part_id: str, code: str, year: int) -> PeerComparison | None:
    """The same rule applied to every peer of `code` (from the national table), with funnels on
    the change and on the rate per 1,000 inhabitants; None without a panel."""
    from .evaluate import required_ratio
    from .national import MET, evaluate_all

    mem = membership(ds, year)
    if mem is None or code not in mem.codes:
        return None
    key = ("national", year)
    if key not in ds.memo:
        ds.memo[key] = evaluate_all(ds, year)
    nat = ds.memo[key]
    peers = mem.peers_of(code)
    t = nat[(nat.doel_id == part_id) & nat.gemeente.isin(peers + [code])]
    pt = t[t.gemeente != code]
    judged = pt[~pt.status.isin(["onvoldoende_gegevens", "niet_te_beoordelen", "basisjaar"])]
    met = judged.status.isin(MET)
    part = ds.policy.part(part_id)
    return PeerComparison(
        code=code, name=ds.area_name(code), year=year, part_id=part_id, rule_nl=mem.rule_nl, peers=peers, table=t,
        k_met=int(met.sum()), k_clear=int((met & (judged.kwalificatie == stats.CLEAR_MET)).sum()),
        k_not=int((~met).sum()), k_clear_not=int((~met & (judged.kwalificatie == stats.CLEAR_NOT_MET)).sum()),
        k_missing=len(pt) - len(judged) + (len(peers) - len(pt)),
        change=_funnel_change(t, code, required_ratio(part.rule, year)) if year > part.rule.baseline_year else None,
        rate=_funnel_rate(t, code), how=mem.how.get(code, ""))


def missing_text(ds: Dataset, indicator: str, code: str, year: int) -> str:
    """What the peer comparison lacks on data without a panel, and how to supply it."""
    t = ds.observations.table
    gm = t[t.area_code.str.startswith("GM")]
    with_ind = sorted(set(gm[gm.indicator == indicator].area_code))
    with_pop = sorted(set(gm[(gm.indicator == "population") & (gm.year <= year)].area_code))
    names = ", ".join(ds.area_name(c) for c in with_ind[:5]) + (", …" if len(with_ind) > 5 else "")
    return (f"Voor de vergelijking met vergelijkbare gemeenten zijn cijfers van alle gemeenten nodig. Nu aanwezig: "
            f"{ds.indicators[indicator].label_nl} voor {len(with_ind)} gemeente(n)"
            + (f" ({names})" if with_ind else "")
            + f", inwonertallen voor {len(with_pop)} gemeente(n); nodig zijn er minstens {MIN_PANEL_AREAS}. "
              f"Aanvullen: `ivb fetch --all-municipalities` (internet nodig; één download per tabel), daarna "
              f"`ivb run` opnieuw.")


def scorecard_cell(ds: Dataset, part, year: int, area: str) -> str:
    """The scorecard's 'k van n vergelijkbare gemeenten' cell for one part."""
    if part.qualitative:
        return "n.v.t. (kwalitatief)"
    if part.rule.kind == "at_least":
        return "n.v.t. (eigen enquête)"
    if year <= part.rule.baseline_year:
        return "n.v.t. (basisjaar)"
    cmp = compare(ds, part.id, area, year)
    if cmp is None:
        return "geen landelijke gegevens (ivb fetch --all-municipalities)"
    return cmp.k_of_n


def rates(ds: Dataset, indicator: str) -> pd.DataFrame:
    """Every municipality's figure per 1,000 inhabitants (municipalities x years; NaN where the
    count or that year's population is missing)."""
    panel = build_panel(ds)
    with np.errstate(invalid="ignore", divide="ignore"):
        return panel.counts(indicator) / panel.counts("population") * 1000


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
