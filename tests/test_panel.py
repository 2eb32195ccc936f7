"""The national panel (issue: every municipality): one filtered query per table, peers, the
dispersion estimated across peers, the vectorised national table, reports with a peer section,
and the same reports on a dask LocalCluster. All against the replay server with the generated
all-municipality fixture (tests/panel_fixture.py: made-up values)."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest

import ivbtools
from ivbtools import stats
from ivbtools.data.registry import Caveat
from ivbtools.live.fetch import fetch, fetch_panel
from ivbtools.panel import view as dispersion
from ivbtools.panel import view as groups
from ivbtools.present import report
from ivbtools.verdict import alltable as national
from ivbtools.verdict import comparison, evaluate
from ivbtools.verdict import scorecard as scorecard_mod

import panel_fixture as pf
from conftest import DATA, ROOT, copy_project_data, digest, ivb
from conftest import comparable as _comparable

PANEL_ENV = ("IVB_POLICE_URL", "IVB_CBS_URL", "IVB_BRON_URL", "IVB_EMBEDDED_ONLY")


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    """A data folder whose cache holds the all-municipality fetch from the replay server, and
    the server's request log."""
    from replay import Replay

    data = tmp_path_factory.mktemp("panel") / "data"
    copy_project_data(data)
    saved = {k: os.environ.get(k) for k in PANEL_ENV}
    with Replay(tables=pf.tables(), bron=pf.bron_files_all(), page=10_000) as r:
        os.environ["IVB_POLICE_URL"] = os.environ["IVB_CBS_URL"] = r.url
        os.environ["IVB_BRON_URL"] = r.url + "/bron"
        # the two fetches of `make report`, with its options, while the service drops connections
        # and cuts bodies off now and then (as CBS's has been seen to do)
        r.resets.update({"/47025NED/TypedDataSet": 1, "/70072ned/Perioden": 1, "/bron/01-01-2021": 1})
        r.cutoffs.update({"/47021NED/TypedDataSet": 1, "/70072ned/TypedDataSet": 1})
        own = fetch(data, ["GM1969"], quiet=True, timeout=30, source_timeout=300)
        first = len(r.requests)
        rep = fetch_panel(data, quiet=True, timeout=30, source_timeout=300)
        requests = list(r.requests[first:])
        faults_left = sum(r.resets.values()) + sum(r.cutoffs.values())
        sent, everything = r.bytes_sent, list(r.requests)
    os.environ["IVB_EMBEDDED_ONLY"] = str(ROOT / "data")   # the checkout's data only; this copy reads its cache
    yield data, rep, requests, (own, faults_left, sent, everything)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def pds(panel):
    return ivbtools.load(panel[0])


def test_fetch_all_municipalities_sends_a_handful_of_data_requests_per_table(panel):
    data, rep, requests, (_, _, _, everything) = panel
    assert not rep.failed, [o.message for o in rep.failed]
    data_requests = [u for u in requests if "/TypedDataSet" in u]
    per_table = pd.Series([re.search(r"/odata/(\w+)/", u).group(1) for u in data_requests]).value_counts()
    assert set(per_table.index) == {"47025NED", "47021NED", "70072ned"}
    # requests of at most 10,000 rows (no paging): 19 crime categories x 345 regions x 12 years in 10
    assert per_table.max() <= 10 and per_table["47021NED"] <= 2, per_table.to_dict()
    assert not any("eq%20%27GM" in u or "eq+%27GM" in u for u in data_requests), "a query per municipality"
    # BRON: the municipality's fetch downloaded one file per year (2017 up to the year not published
    # yet, one reset retried); the panel fetch counts the cached files and asks only for the missing year
    from replay import bron_name, last_bron_year
    years = range(2017, last_bron_year() + 2)
    assert sorted(set(u for u in everything if u.startswith("/bron/"))) == [f"/bron/{bron_name(y)}" for y in years]
    assert [u for u in requests if u.startswith("/bron/")] == [f"/bron/{bron_name(last_bron_year() + 1)}"]


def test_the_fetches_of_make_report_succeed_under_resets_and_stay_small(panel, pds):
    """Issue #14, done when: both fetches of `make report` succeed with its options while the
    service resets connections, transfer a few MB, read crimes from 47025NED (not the newer
    monthly sibling), count BRON from per-year files, choose peers with the urbanisation class."""
    _, rep, _, (own, faults_left, sent, _) = panel
    assert not own.failed and not rep.failed, [o.message for o in own.failed + rep.failed]
    assert faults_left == 0                      # every reset and cut-off happened and was retried
    assert sent < 20_000_000, sent               # a few MB for 342 municipalities x 12 years x 19 crime types and 8 BRON files
    t = pds.observations.table
    crimes = {pds.sources[s].title for s in t[t.indicator == "crimes_total"].source_id}
    assert crimes and all("tabel 47025NED" in title for title in crimes)
    bron_sources = sorted(set(t[t.indicator == "traffic_accidents"].source_id))
    # one source per yearly file that holds accidents (the fixture's records run 2014-2023)
    assert bron_sources == [f"bron-01-01-{y}_31-12-{y}-{ivbtools.live.fetch.now()[:10].replace('-', '')}" for y in range(2017, 2024)]
    assert "dezelfde mate van stedelijkheid" in groups.membership(pds, 2022).rule_nl
    # no half year, no pseudo-municipality
    assert t[t.indicator.isin(["confused_person_e33", "youth_nuisance_e35"])].year.max() == pf.YEARS[-1]
    assert not {"GM0998", "GM0999"} & set(t.area_code)


def test_panel_covers_every_current_municipality_on_current_boundaries(pds):
    t = pds.observations.table
    codes = set(pds.municipalities.by_code)
    for ind in ("crimes_total", "confused_person_e33", "traffic_accidents", "population"):
        have = set(t[(t.indicator == ind) & t.area_code.str.startswith("GM")].area_code)
        assert have == codes, (ind, len(have))
    assert not set(t.area_code) & {c for c, _ in pf.FORMER}   # merged-away codes are not compared
    pop_sources = {pds.sources[s].note for s in t[t.indicator == "population"].source_id}
    assert any("4 voormalige gemeenten" in n and "huidige gemeentegrenzen" in n for n in pop_sources)
    # CBS gives population on each year's boundaries: none for Westerkwartier before 2019
    wk = t[(t.indicator == "population") & (t.area_code == "GM1969")]
    assert wk.year.min() == 2019


def test_a_failing_table_keeps_its_previous_panel_entry(panel, tmp_path, monkeypatch):
    from replay import Replay

    data = tmp_path / "data"
    shutil.copytree(panel[0], data)
    before = digest(data / "cache" / "observations")
    with Replay(tables=pf.tables(), bron=pf.bron_files_all(), page=10_000) as r:
        for k in ("IVB_POLICE_URL", "IVB_CBS_URL"):
            monkeypatch.setenv(k, r.url)
        monkeypatch.setenv("IVB_BRON_URL", r.url + "/bron")
        r.faults["70072ned/TypedDataSet"] = "500"
        rep = fetch_panel(data, refresh=True, quiet=True, only={"cbs-population"})
    assert [o.source for o in rep.failed] == ["cbs-population"]
    assert digest(data / "cache" / "observations") == before


def test_panel_dispersion_recovers_the_fixture_tau(pds):
    t = dispersion.peer_tau(pds, "crimes_total", 2022)
    assert 0.085 <= t.loc["GM1969", "tau"] <= 0.115          # the fixture's true tau is 0.10
    d = evaluate.evaluate(pds, "sociaal-woninginbraak", 2022, "GM1969").dispersion
    assert d is not None and d.origin == "peers"


def test_dispersion_terms_on_simulated_series():
    rng = np.random.default_rng(7)
    years = list(range(2012, 2024))
    mu = 150 * np.exp(0.03 * (np.arange(12) - 5))[None, :]
    pure = rng.poisson(np.repeat(mu, 400, axis=0)).astype(float)
    assert stats.pooled_tau(*stats.dispersion_terms(pure, years)) < 0.03
    extra = rng.poisson(mu * rng.gamma(100, 0.01, size=(400, 12))).astype(float)   # tau = 0.1
    assert 0.09 <= stats.pooled_tau(*stats.dispersion_terms(extra, years)) <= 0.11
    # a step of x2 at a known break does not count as noise when the break is named
    stepped = extra * np.where(np.array(years) >= 2020, 2.0, 1.0)[None, :]
    assert stats.pooled_tau(*stats.dispersion_terms(stepped, years, [2020])) <= 0.11
    assert stats.pooled_tau(*stats.dispersion_terms(stepped, years)) > 0.14   # unnamed: the step inflates tau


def test_funnel_overdispersion_is_dersimonian_laird_and_funnelplotr_by_hand():
    """funnel_tau2 around the fixed-effect mean is statsmodels' DerSimonian-Laird; around a given
    centre it is FunnelPlotR's tau_func with untrimmed z-scores (computed here by hand)."""
    from statsmodels.stats.meta_analysis import combine_effects

    y = np.array([0.10, -0.12, 0.25, 0.02, -0.30, 0.18, -0.05, 0.08])
    s = np.array([0.10, 0.15, 0.08, 0.20, 0.12, 0.09, 0.11, 0.14])
    _, tau2 = stats.funnel_tau2(y, s)
    assert tau2 == pytest.approx(combine_effects(y, s ** 2, method_re="dl").tau2, rel=1e-12)
    w = 1 / s ** 2
    n, phi = len(y), np.mean((y / s) ** 2)                       # FunnelPlotR: z-scores around the target 0
    by_hand = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    assert stats.funnel_tau2(y, s, 0.0) == (0.0, pytest.approx(by_hand, rel=1e-12))
    assert stats.funnel_tau2(y / 10, s, 0.0)[1] == 0.0           # no overdispersion


def test_funnel_limits_by_hand():
    """Without overdispersion: FunnelPlotR's exact Poisson limits, chi-square quantiles; with it:
    exp(+-z sqrt(1/E + tau^2)) around the centre."""
    from scipy import stats as sps

    lo, hi = stats.poisson_limits(np.array([10.0]), 1.959964)
    assert lo[0] == pytest.approx(sps.chi2.ppf(0.025, 20) / 20, rel=1e-6)   # 9.591 / 20 = 0.4795
    assert hi[0] == pytest.approx(sps.chi2.ppf(0.975, 22) / 20, rel=1e-6)   # 36.781 / 20 = 1.8390
    assert (round(lo[0], 4), round(hi[0], 4)) == (0.4795, 1.8390)
    f = comparison.Funnel("per 1.000 inwoners", pd.DataFrame({"gemeente": [], "x": [], "y": [], "is_self": [], "count": []}),
                     3.0, 0.01, "x")
    lo, hi = f.limits(np.array([10.0]), 1.959964)
    assert (lo[0], hi[0]) == (pytest.approx(3 * math.exp(-1.959964 * math.sqrt(0.11))),
                              pytest.approx(3 * math.exp(1.959964 * math.sqrt(0.11))))


def test_a_zero_count_is_placed_by_exact_tails():
    """0 where 2 are expected is ordinary (P = e^-2 = 0.135); where 10 are expected it is far below
    (P = e^-10 = 4.5e-5 < 0.001)."""
    data = pd.DataFrame({"gemeente": ["A", "B"], "naam": ["A", "B"], "x": [2.0, 10.0], "y": [0.0, 0.0],
                         "is_self": [False, False], "count": [0, 0]})
    f = comparison.Funnel("per 1.000 inwoners", data, 1.0, 0.0, "x")
    assert f.position("A").startswith("binnen de 95%-grenzen")
    assert f.position("B").startswith("onder de 99,8%-grens")


def test_funnels_flag_what_they_should_with_real_differences_between_municipalities():
    """Seeded: groups of 40 peers whose true rates differ by 15% (log-normal) and counts of 10-400.
    Limits that include that variation (DerSimonian-Laird, untrimmed) flag about 0.2% of units
    outside the 99.8% limits; the 10%/90% winsorised z-scores of before flagged 1.2-1.4%."""
    rng = np.random.default_rng(2005)
    flagged = total = 0
    for _ in range(400):
        expected = np.exp(rng.uniform(np.log(10), np.log(400), 40))
        true = np.exp(rng.normal(0, 0.15, 40))
        obs = rng.poisson(expected * true)
        rate = obs.sum() / expected.sum()
        e = rate * expected
        _, tau2 = stats.funnel_tau2(np.log(np.maximum(obs, 0.5) / e), np.sqrt(1 / e), 0.0)
        low, high = stats.count_tails(obs, e, tau2)
        flagged += int((np.minimum(low, high) < stats.norm_tail(comparison.Z998)).sum())
        total += len(obs)
    assert flagged / total < 0.006, flagged / total


def test_vectorised_intervals_equal_the_scalar_ones():
    new = np.array([0, 1, 5, 37, 120, 395, 10])
    base = np.array([3, 8, 5, 40, 100, 137, 0])
    lo, hi = stats.ratio_interval_exact_v(new, base)
    for i in range(len(new)):
        ex = stats.ratio_interval_exact(new[i], base[i])
        assert lo[i] == pytest.approx(ex.low) and (hi[i] == pytest.approx(ex.high) or (np.isinf(hi[i]) and np.isinf(ex.high)))
    for tau in (0.0, 0.07, 0.2):
        lo, hi = stats.ratio_interval_robust_v(new[:-1], base[:-1], np.full(6, tau))
        p = stats.ratio_pvalue_v(new[:-1], base[:-1], 0.8, np.full(6, tau))
        for i in range(6):
            rb = stats.ratio_interval_robust(new[i], base[i], tau)
            assert lo[i] == pytest.approx(rb.low) and hi[i] == pytest.approx(rb.high)
            assert p[i] == pytest.approx(stats.ratio_pvalue_robust(new[i], base[i], 0.8, tau))


def test_national_table_agrees_with_the_single_municipality_evaluation(pds):
    table = national.evaluate_all(pds, 2022)
    parts = sorted(set(table.doel_id))
    assert len(parts) == 5 and table.gemeente.nunique() == len(pds.municipalities)
    sample = ["GM1969", "GM0014"] + sorted(pds.municipalities.by_code)[::40]
    for code in sample:
        for part in parts:
            row = table[(table.gemeente == code) & (table.doel_id == part)].iloc[0]
            ev = evaluate.evaluate(pds, part, 2022, code)
            assert (row.status, row.oordeel) == (ev.status, ev.status_nl), (code, part)
            assert row.zekerheid == ev.qualifier_nl, (code, part)
            if ev.assessment is not None:
                iv = ev.assessment.decisive
                assert (row.interval_laag, row.interval_hoog) == pytest.approx((iv.low, iv.high)), (code, part)
                assert row.p_waarde == pytest.approx(ev.assessment.pvalue, rel=1e-9, abs=1e-12)
    assert not table.oordeel.isna().any() and not (table.oordeel == "").any()


def test_peer_group_follows_the_configured_rule(pds, panel, tmp_path):
    mem = groups.membership(pds, 2022)
    t = pds.observations.table
    pop = t[(t.indicator == "population") & (t.year == 2022) & t.area_code.str.startswith("GM")].set_index("area_code").value
    urb = t[(t.indicator == "urbanisation_class") & (t.year == 2022)].set_index("area_code").value
    own = pop["GM1969"]
    expected = sorted(c for c in pop.index if c != "GM1969" and 0.5 * own <= pop[c] <= 2 * own
                      and urb.get(c) == urb["GM1969"])
    assert mem.peers_of("GM1969") == expected and len(expected) >= 10
    # a fixed list in data/peers.yaml replaces the rule
    data = tmp_path / "data"
    shutil.copytree(panel[0], data)
    cfg = (data / "peers.yaml").read_text().replace("groups: {}", "groups:\n  GM1969: [GM0014, GM0363, GM1680]")
    (data / "peers.yaml").write_text(cfg)
    ds2 = ivbtools.load(data)
    assert groups.membership(ds2, 2022).peers_of("GM1969") == ["GM0014", "GM0363", "GM1680"]
    cmp = comparison.compare(ds2, "sociaal-woninginbraak", "GM1969", 2022)
    assert cmp.n == 3 and cmp.k_met + cmp.k_not + cmp.k_missing == 3


def test_peer_section_and_scorecard_on_the_panel(pds):
    card = scorecard_mod.scorecard(pds, 2022, "GM1969")
    cells = dict(zip(card.doel_id, card.vergelijkbare_gemeenten))
    n = len(groups.membership(pds, 2022).peers_of("GM1969"))
    for part in ("verkeer-ongevallen", "verkeer-slachtoffers", "sociaal-verward-gedrag", "sociaal-woninginbraak", "jeugd-overlast"):
        assert re.fullmatch(rf"\d+ van {n} \(\d+ duidelijk\)", cells[part]), cells[part]
        ev = evaluate.evaluate(pds, part, 2022, "GM1969")
        md, detail = str(report.peers_md(pds, ev)), str(report.peers_detail_md(pds, ev))
        assert f"van de {n} vergelijkbare gemeenten" in md and "nan" not in md.lower()
        # the council text has no funnel statistics; the analysts' part has them
        assert "trechter" not in md and "Positie in de trechter" in detail and "nan" not in detail.lower()
    base_year = str(report.peers_md(pds, evaluate.evaluate(pds, "sociaal-woninginbraak", 2018, "GM1969")))
    assert base_year.startswith("Nog geen vergelijking") and "basisjaar 2018" in base_year
    # E33 across the 2020 break: no peer is 'clearly' anything
    assert cells["sociaal-verward-gedrag"].endswith("(0 duidelijk)")
    assert "heringedeeld" in str(report.peers_detail_md(pds, evaluate.evaluate(pds, "sociaal-woninginbraak", 2022, "GM1969")))


@pytest.mark.parametrize("part, own_note", [("sociaal-woninginbraak", False), ("sociaal-verward-gedrag", True),
                                            ("verkeer-ongevallen", None)])
def test_a_report_says_when_its_municipality_was_merged_in_the_years_compared(ds, part, own_note):
    """Westerkwartier was formed on 1 January 2019 (code list: valid_from 2019): a comparison
    from 2017 or 2018 says so once (E33 has its own note on it), one from 2020 does not."""
    caveats = evaluate.evaluate(ds, part, 2022, "GM1969").caveats
    merged = [c for c in caveats if "1 januari 2019" in c]
    if own_note is None:
        assert merged == []
    else:
        assert len(merged) == 1 and merged[0].startswith("Herindeling: ") != own_note


def test_peer_section_on_the_embedded_snapshot_says_what_is_missing(ds):
    ev = evaluate.evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    md, detail = str(report.peers_md(ds, ev)), str(report.peers_detail_md(ds, ev))
    # the council part says what is missing, in words; the command to supply it is for the analyst
    assert "minstens 20" in md and "1 gemeente(n)" in md and "ivb fetch" not in md
    assert "ivb fetch --all-municipalities" in detail and "minstens 20" in detail
    card = scorecard_mod.scorecard(ds, 2022, "GM1969")
    assert card.vergelijkbare_gemeenten.str.len().min() > 0


def test_ivb_national_writes_csv_parquet_and_overview(panel, tmp_path):
    data = panel[0]
    proc = ivb(["--data", str(data), "national", "--year", "2022", "--output", str(tmp_path / "out")])
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "out" / "national" / "2022"
    text = (folder / "national.csv").read_text(encoding="utf-8-sig")
    # for Dutch spreadsheets: ';' between fields, decimal commas, ja/nee, no scientific notation
    assert text.splitlines()[0].startswith("gemeente;naam;doel_id;") and "indicator_naam" in text.splitlines()[0]
    assert not re.search(r"\bTrue\b|\bFalse\b|\d[eE][-+]\d", text)
    csv = pd.read_csv(folder / "national.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert csv.verhouding.dtype.kind == "f" and csv.gehaald.dropna().isin(["ja", "nee"]).all()
    assert "Meldingen overlast door verward persoon (E33)" in set(csv.indicator_naam)
    pq = pd.read_parquet(folder / "national.parquet")
    assert len(csv) == len(pq) == 342 * 5
    ok = pq.verhouding.notna()
    assert np.allclose(csv.verhouding[ok], pq.verhouding[ok], rtol=1e-9)
    assert csv.gemeente.nunique() == 342 and not {'GM0998', 'GM0999'} & set(csv.gemeente) and not csv.oordeel.isna().any()
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert '<img src="verdicts.png"' in page and "Bronnen" in page and "NaN" not in page
    assert 'href="national/2022/index.html"' in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    # the national table has a freshness record like every product (issue #30): unchanged inputs, nothing rewritten
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = ivb(["--data", str(data), "national", "--year", "2022", "--output", str(tmp_path / "out")])
    assert again.returncode == 0 and "2022: up to date" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    forced = ivb(["--data", str(data), "national", "--year", "2022", "--force", "--output", str(tmp_path / "out")])
    assert forced.returncode == 0 and "1710 rows" in forced.stdout
    assert (folder / "national.csv").stat().st_mtime_ns > before["national.csv"]
    none = ivb(["national", "--year", "2022", "--output", str(tmp_path / "x")])
    assert none.returncode == 2 and none.stderr.count("\n") == 1 and "ivb fetch --all-municipalities" in none.stderr
    skipped = ivb(["national", "--years", "2022-2023", "--skip-without-panel", "--output", str(tmp_path / "x")])
    assert skipped.returncode == 0 and "skipped" in skipped.stderr and not (tmp_path / "x" / "national").exists()


@pytest.fixture(scope="module")
def local_run(panel, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    proc = ivb(["--data", str(panel[0]), "run", "--municipalities", "GM1969,GM0014", "--year", "2022", "--jobs", "2",
                "--quiet", "--output", str(out)])
    return out, proc


def test_run_for_two_municipalities_shows_peers_in_every_report(local_run):
    out, proc = local_run
    assert proc.returncode == 0, proc.stderr
    for folder in (out / "2022", out / "GM0014" / "2022"):
        card = pd.read_csv(folder / "scorecard.csv", sep=";", decimal=",", encoding="utf-8-sig")
        counted = card[card.vergelijkbare_gemeenten.str.contains(" van ")]
        assert len(counted) == 5
        for part in counted.doel_id:
            html = (folder / f"{part}.html").read_text(encoding="utf-8")
            assert "Vergelijkbare gemeenten:" in html and "trechter" in html
            body = re.sub(r"<style.*?</style>", "", html, flags=re.S)   # the CSS names a state 'None'
            body = re.sub(r"data:image/[^\"']+", "", body)                # base64 can spell NaN
            assert not re.search(r"\bNaN\b|\bNone\b|>nan<", body)
            # the police's pseudo codes are never shown as municipalities (the source note that says
            # their figures were not kept is the one place that names them)
            body = body.replace("onder GM0998, GM0999 (registraties zonder gemeente, geen gemeenten) zijn niet bewaard", "")
            assert "GM0998" not in body and "Buitenland" not in body and "niet in te delen" not in body
        assert "vergelijkbare gemeenten die het haalden" in (folder / "scorecard.html").read_text(encoding="utf-8")


def test_dask_local_cluster_produces_the_same_reports(panel, local_run, tmp_path):
    """The same reports through a Dask LocalCluster as through the local workers. One municipality
    (GM0014, which is not the policy's own: its reports land under outputs/GM0014/) is enough: the
    local run's two municipalities are compared with each other's rules elsewhere, and seven
    notebooks instead of fourteen halve the cost of this test."""
    out_local, _ = local_run
    out = tmp_path / "dask"
    proc = ivb(["--data", str(panel[0]), "run", "--municipality", "GM0014", "--year", "2022", "--executor",
                "dask", "--jobs", "2", "--quiet", "--output", str(out)], timeout=600)
    assert proc.returncode == 0, proc.stderr
    notebooks = sorted(p.relative_to(out) for p in out.rglob("*.ipynb"))
    assert len(notebooks) == 7 and all(p.parts[0] == "GM0014" for p in notebooks)
    assert notebooks == sorted(p.relative_to(out_local) for p in (out_local / "GM0014").rglob("*.ipynb"))
    for rel in notebooks:
        assert _comparable(out / rel) == _comparable(out_local / rel), rel


def test_unreachable_scheduler_is_one_line(panel, tmp_path):
    proc = ivb(["--data", str(panel[0]), "run", "--year", "2022", "--executor", "dask", "--scheduler",
                "tcp://127.0.0.1:9", "--output", str(tmp_path / "o")], timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Dask scheduler" in proc.stderr
    # said at once, with the reason (dask's own client tries a refused address until its 15 s time-out)
    assert "Connection refused" in proc.stderr


def test_a_dying_dask_worker_fails_only_its_own_report(tmp_path, monkeypatch):
    """A notebook that kills its dask worker process (the kernel's parent) fails alone: dask
    retries it once on another worker, then gives up; every other report is published."""
    from ivbtools.batch import run as batch
    from ivbtools.batch.executors import DaskExecutor

    from conftest import stub_notebooks

    monkeypatch.setenv("IVB_EMBEDDED_ONLY", "*")
    nbs = stub_notebooks(tmp_path, "import os, signal\nif target_id == 'sociaal-verward-gedrag':\n"
                                   "    os.kill(os.getppid(), signal.SIGKILL)\nprint('ok')")
    out = tmp_path / "out"
    res = batch.run_batch(ivbtools.load(DATA), [2022], "GM1969", DATA, nbs, out, quiet=True,
                          executor=DaskExecutor(None, workers=2))
    failed = {j.name: j.error for j in res.failed}
    assert list(failed) == ["sociaal-verward-gedrag"] and "dask" in failed["sociaal-verward-gedrag"]
    run = json.loads((out / "2022" / "run.json").read_text())
    assert run["parts"]["sociaal-verward-gedrag"]["status"] == "failed"
    ok = [n for n, p in run["parts"].items() if p["status"] == "ok"]
    assert len(ok) == 6 and all((out / "2022" / f"{n}.html").is_file() for n in ok)


def test_a_cluster_of_other_machines_reads_the_frozen_data_state_it_was_sent(tmp_path, monkeypatch):
    """With ship_data (the default for --scheduler) the batch's frozen data folder travels to the
    workers as one archive and is unpacked there: the jobs read that copy, not a folder of the
    worker's own."""
    from ivbtools.batch import run as batch
    from ivbtools.batch.executors import DaskExecutor

    from conftest import copy_project_data, stub_notebooks

    data = copy_project_data(tmp_path / "data")
    nbs = stub_notebooks(tmp_path, "import ivbtools\nds = ivbtools.load(data_dir)\n"
                                   "print('read', data_dir, ds.observations.get('confused_person_e33', 'GM1969', 2022).value)")
    out = tmp_path / "out"
    res = batch.run_batch(ivbtools.load(data), [2022], "GM1969", data, nbs, out, quiet=True,
                          executor=DaskExecutor(None, workers=1, ship_data=True))
    assert not res.failed, [j.error for j in res.failed]
    text = (out / "2022" / "sociaal-verward-gedrag.ipynb").read_text()
    printed = re.search(r"read (\S+) (\d+)", text)
    assert printed and "ivb-data-" in printed.group(1) and printed.group(2) == "395"   # the document's E33 2022


@pytest.mark.parametrize("args, says", [
    (["fetch"], "--all-municipalities"),
    (["fetch", "--municipality", "GM1969", "--all-municipalities"], "not both"),
    (["run", "--year", "2022", "--scheduler", "tcp://127.0.0.1:9"], "--executor dask"),
    (["run", "--year", "2022", "--municipalities", "GM9999"], "GM9999"),
    (["run", "--year", "2022", "--municipalities", " , "], "names no municipality"),
    (["run", "--year", "2022", "--municipality", "GM1969", "--municipalities", "GM1969"], "not both"),
    (["national", "--year", "twenty"], "--year 'twenty' is not a year"),
    (["national"], "no year given"),
])
def test_bad_command_lines_are_one_line(args, says, tmp_path):
    proc = ivb(args + (["--output", str(tmp_path / "o")] if args[0] in ("run", "national") else []))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and says in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("edit, says", [
    (("[0.5, 2.0]", "[2.0, 0.5]"), "population_band"),
    (("min_peers: 10", "min_peers: 1"), "min_peers"),
    (("groups: {}", "groups:\n  GM1969: [GM0014, GM9998]"), "GM9998"),
])
def test_a_bad_peer_file_is_one_line(panel, tmp_path, edit, says):
    data = tmp_path / "data"
    shutil.copytree(panel[0], data)
    (data / "peers.yaml").write_text((data / "peers.yaml").read_text().replace(*edit))
    proc = ivb(["--data", str(data), "national", "--year", "2022", "--output", str(tmp_path / "o")])
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and says in proc.stderr and "peers.yaml" in proc.stderr


def test_panel_dispersion_agrees_with_a_statsmodels_fit(pds):
    """Cross-check of the moment estimator with a model fit: a Poisson GLM (statsmodels) with
    its own level and trend per municipality of Westerkwartier's peer group, and the
    negative-binomial (NB2) moment estimator of tau^2 from its residuals."""
    import statsmodels.api as sm

    from ivbtools.panel.view import build_panel

    group = groups.membership(pds, 2022).peers_of("GM1969") + ["GM1969"]
    c = build_panel(pds).counts("crimes_total").loc[group]
    long = c.stack().dropna().rename("y").reset_index()   # the panel's years reach back to 1995 (population)
    long.columns = ["area", "year", "y"]
    t = long.year - long.year.mean()
    areas = pd.get_dummies(long.area, dtype=float)
    X = pd.concat([areas, areas.mul(t, axis=0).add_suffix(":t")], axis=1)
    fit = sm.GLM(long.y, X, family=sm.families.Poisson()).fit()
    mu, y = fit.fittedvalues.to_numpy(), long.y.to_numpy()
    n, p = X.shape
    tau2_glm = max(0.0, (((y - mu) ** 2).sum() * n / (n - p) - mu.sum()) / (mu ** 2).sum())
    tau_moment = dispersion.peer_tau(pds, "crimes_total", 2022).loc["GM1969", "tau"]
    assert abs(np.sqrt(tau2_glm) - tau_moment) < 0.02, (np.sqrt(tau2_glm), tau_moment)


def test_a_missing_population_is_named_with_the_year_used_instead(pds):
    """Without Westerkwartier's 2022 population the peer group is chosen with the 2021 one, and
    the rate has no point in its funnel: both are said, with the years."""

    t = pds.observations.table
    ds = pds.with_table(t[~((t.indicator == "population") & (t.area_code == "GM1969") & (t.year == 2022))])
    mem = groups.membership(ds, 2022)
    assert mem.pop_year["GM1969"] == 2021 and mem.pop_year["GM0014"] == 2022
    ev = evaluate.evaluate(ds, "sociaal-woninginbraak", 2022, "GM1969")
    assert "Het inwonertal van 2022 ontbreekt voor Westerkwartier: de groep is gekozen met dat van 2021." in str(report.peers_md(ds, ev))
    assert "Westerkwartier geen cijfer (inwonertal 2022 ontbreekt)" in str(report.peers_detail_md(ds, ev))


def test_no_national_table_row_rests_silently_on_poisson_noise(pds):
    """Before: 31% of the fixture's rows had no tau (a peer group of small counts) and read plain
    'duidelijk'. Now such a group borrows the tau pooled over every municipality; a row without any
    tau would say 'als de gewone schommeling van jaar tot jaar klein is' and carry its tipping point."""
    table = national.evaluate_all(pds, 2022)
    judged = table[table.kwalificatie.isin([stats.CLEAR_MET, stats.CLEAR_NOT_MET, stats.WITHIN_NOISE])]
    assert len(judged) > 1000
    no_tau = judged[~np.isfinite(judged.overdispersie_tau.astype(float))]
    # the fixture's casualties are too few anywhere for a tau: their clear rows say so
    assert set(no_tau.doel_id) == {"verkeer-slachtoffers"}
    clear_no_tau = no_tau[no_tau.kwalificatie != stats.WITHIN_NOISE]
    assert len(clear_no_tau) > 0 and clear_no_tau.zekerheid.str.endswith(", als de gewone schommeling van jaar tot jaar klein is").all()
    pooled = judged[judged.overdispersie_bron == "alle gemeenten"]
    assert len(pooled) > 0 and np.isfinite(pooled.overdispersie_tau.astype(float)).all()
    # a clear row without tau: its tipping point is there
    clear = table[table.kwalificatie.isin([stats.CLEAR_MET, stats.CLEAR_NOT_MET])]
    assert clear.kantelpunt_tau.notna().all()
    # the report for a municipality of such a group tells where its tau came from
    row = pooled.iloc[0]
    ev = evaluate.evaluate(pds, row.doel_id, 2022, row.gemeente)
    assert ev.dispersion is not None and ev.dispersion.origin == "pool"
    assert "over alle gemeenten samen" in ev.dispersion_nl


def test_the_panel_tau_honours_a_break_of_one_municipality(pds):
    """A registration break of one municipality leaves the windows around it out of that
    municipality's terms only (before: only breaks of every municipality were honoured)."""
    ind = pds.indicators["crimes_total"]
    before = groups.terms(pds, "crimes_total")
    own = Caveat(text_nl="proef", kind="break", crosses_year=2019, areas=("GM1969",))
    changed = dataclasses.replace(pds, indicators={**pds.indicators, "crimes_total": dataclasses.replace(
        ind, caveats=ind.caveats + (own,))}, state=None, own_views={})
    after = groups.terms(changed, "crimes_total")
    codes = groups.build_panel(pds).codes
    i = codes.index("GM1969")
    years = groups.build_panel(pds).years
    skip = set(ind.break_years()) | set(ind.abnormal_years())
    # three-year windows that were usable before and contain 2019 (a transition year)
    lost = [y for y in years[:-2] if y <= 2019 <= y + 2 and not any(y <= s <= y + 2 for s in skip)]
    assert lost and (before.m2[i] - after.m2[i]) / 6 == len(lost)
    others = np.arange(len(codes)) != i
    assert np.array_equal(before.m2[others], after.m2[others]) and np.allclose(before.S2[others], after.S2[others])
