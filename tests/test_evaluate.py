"""Verdicts, qualifiers and the national comparison, checked against hand and scipy values."""
import pandas as pd
import pytest
from scipy import stats as sps

import ivbtools
from ivbtools import stats
from ivbtools.present import report
from ivbtools.present.statements import statement_text as text
from ivbtools.verdict.evaluate import evaluate
from ivbtools.verdict.scorecard import scorecard
from ivbtools.verdict.statements import evaluate_check

from conftest import add_local


def _cp_ratio(new, base):
    ci = sps.binomtest(new, new + base).proportion_ci(0.95, method="exact")
    return ci.low / (1 - ci.low), ci.high / (1 - ci.high)


def _p_two(new, base, r0):
    p0 = r0 / (1 + r0)
    return min(1, 2 * min(sps.binomtest(new, new + base, p0, alternative="less").pvalue,
                          sps.binomtest(new, new + base, p0, alternative="greater").pvalue))


def test_e33_2022_is_a_progress_note_above_the_level_and_never_clear_across_the_break(ds):
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    assert ev.status == "niet_op_niveau" and ev.status_nl == "tussenstand: boven het vereiste niveau"
    assert (ev.baseline.value, ev.observed.value, ev.required, ev.allowed) == (137, 395, 137, 137)
    assert ev.change_abs == 258 and ev.change_pct == pytest.approx((395 / 137 - 1) * 100)
    a = ev.assessment
    assert (a.exact.low, a.exact.high) == pytest.approx(_cp_ratio(395, 137), rel=1e-9)
    assert a.p_exact == pytest.approx(_p_two(395, 137, 1.0), rel=1e-9, abs=1e-300)
    # the interval lies wholly above 1, but 2017 and 2022 lie on two sides of the March 2020 break
    assert a.exact.low > 1 and ev.qualifier == stats.BREAK and ev.qualifier_nl == "onbeslist: reeksbreuk"
    assert any("Reeksbreuk tussen 2017 en 2022" in c and "maart 2020" in c for c in ev.context_nl)
    assert "gehaald" not in ev.verdict_nl and "voortgangsmeting" in ev.verdict_nl
    # no estimate of overdispersion from two yearly figures: a tipping point instead
    assert ev.dispersion is None and ev.dispersion_years == 2
    assert "Overdispersie" in ev.dispersion_nl and "Kantelpunt" in ev.dispersion_nl and "38%" in ev.dispersion_nl
    nat = ev.national
    assert (nat.base_value, nat.value) == (83611, 138807)
    assert nat.index == pytest.approx(100 * 138807 / 83611)     # 166.0
    assert nat.local_index == pytest.approx(100 * 395 / 137)    # 288.3
    assert nat.assessment.p_exact == pytest.approx(_p_two(395, 137, 138807 / 83611), rel=1e-9, abs=1e-300)
    assert nat.clear is True
    assert "steeg sterker dan landelijk" in nat.text_nl and "slechter" not in nat.text_nl


def test_e33_2023_names_the_missing_figure(ds):
    ev = evaluate(ds, "sociaal-verward-gedrag", 2023, "GM1969")
    assert ev.status == "onvoldoende_gegevens"
    assert [(m.indicator, m.area_code, m.year) for m in ev.missing] == [("confused_person_e33", "GM1969", 2023)]
    assert "confused_person_e33,GM1969,Westerkwartier,2023,<waarde>,<bron-id>" in ev.missing[0].how_to_supply()


def test_caveats_apply_by_kind(ds):
    from ivbtools.data.registry import Caveat
    c = Caveat("x", kind="break", crosses_year=2020)
    assert c.applies([2021, 2022], "GM1969") is False
    assert c.applies([2017, 2022], "GM1969") is True
    assert c.applies([2019, 2020], "GM1969") is True
    covid = Caveat("y", kind="abnormal_year", in_years=(2020, 2021))
    assert covid.applies([2020, 2023], "GM1969") and not covid.applies([2019, 2023], "GM1969")
    ev = evaluate(ds, "sociaal-woninginbraak", 2023, "GM1969")
    assert not any("E33" in t for t in ev.caveats)


def test_analyst_csv_changes_the_accident_verdict_and_names_the_lockdown_baseline(data_copy):
    before = evaluate(ivbtools.load(data_copy), "verkeer-ongevallen", 2023, "GM1969")
    assert before.status == "onvoldoende_gegevens"
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,220,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-ongevallen", 2023, "GM1969")
    assert ev.status == "gehaald"                       # 220 <= 0.8 * 358 = 286.4
    assert ev.required == pytest.approx(286.4) and ev.allowed == 286
    _, hi = _cp_ratio(220, 358)
    # no own series to estimate the overdispersion from: clear on Poisson noise alone, and it says so
    assert hi < 0.8 and ev.qualifier == stats.CLEAR_MET and ev.qualifier_nl == (
        "duidelijk gehaald, als de gewone schommeling van jaar tot jaar klein is")
    assert ev.stats_nl.startswith("Voorwaarde: er is geen schatting van de extra jaar-op-jaarschommeling")
    assert ev.assessment.p_exact == pytest.approx(_p_two(220, 358, 0.8), rel=1e-9)
    assert any("coronajaren" in c and "landelijke verandering" in c for c in ev.context_nl)
    assert ev.national.local_index == pytest.approx(100 * 220 / 358)
    assert ev.national.index == pytest.approx(100 * 134005 / 103578)


def test_a_reduction_within_noise_is_called_so(data_copy):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,280,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-ongevallen", 2023, "GM1969")
    lo, hi = _cp_ratio(280, 358)
    assert ev.status == "gehaald" and lo < 0.8 < hi
    assert ev.qualifier == stats.WITHIN_NOISE and "binnen de toevalsmarge" in ev.stats_nl
    assert "binnen de ruis" in ev.dispersion_nl      # no tipping point: within Poisson noise already


def test_required_count_is_the_whole_number_that_meets_the_rule(data_copy):
    """0.8 x 361 = 288.8: 'ten hoogste 288', so that 289 next to 'niet gehaald' reads right."""
    add_local(data_copy, "traffic_casualties,GM1969,Westerkwartier,2020,361,test-fixture\n"
                         "traffic_casualties,GM1969,Westerkwartier,2023,289,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-slachtoffers", 2023, "GM1969")
    assert ev.status == "niet_gehaald" and ev.allowed == 288
    assert "ten hoogste 288 (0,80 × 361 = 288,8)" in ev.verdict_nl


def test_intermediate_year_uses_the_straight_path(data_copy):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2021,330,test-fixture\n"
                         "traffic_accidents,GM1969,Westerkwartier,2022,320,test-fixture\n")
    ds = ivbtools.load(data_copy)
    ev21 = evaluate(ds, "verkeer-ongevallen", 2021, "GM1969")
    assert ev21.required == pytest.approx(358 * (1 - 0.2 / 3))   # 334.13
    assert ev21.status == "op_koers" and ev21.status_nl == "tussenstand: op koers" and ev21.allowed == 334
    ev22 = evaluate(ds, "verkeer-ongevallen", 2022, "GM1969")
    assert ev22.required == pytest.approx(358 * (1 - 0.4 / 3))   # 310.27
    assert ev22.status == "niet_op_koers"
    assert evaluate(ds, "verkeer-ongevallen", 2020, "GM1969").status == "basisjaar"


def test_zero_baseline_is_said_not_divided(data_copy):
    add_local(data_copy, "traffic_casualties,GM1969,Westerkwartier,2020,0,test-fixture\n"
                         "traffic_casualties,GM1969,Westerkwartier,2023,3,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-slachtoffers", 2023, "GM1969")
    assert ev.status == "niet_te_beoordelen" and "basiswaarde (2020) is 0" in ev.verdict_nl


@pytest.mark.parametrize("mark, status", [("7.6", "gehaald"), ("7.5", "gehaald"), ("7.4", "niet_gehaald")])
def test_report_mark_threshold(data_copy, mark, status):
    add_local(data_copy, f"traffic_safety_mark,GM1969,Westerkwartier,2023,{mark},test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-rapportcijfer", 2023, "GM1969")
    assert ev.status == status and ev.assessment is None and "steekproefomvang" in ev.stats_nl


def test_below_baseline_is_strict(data_copy):
    add_local(data_copy, "burglary_home,GM1969,Westerkwartier,2023,75,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969")
    assert ev.status == "niet_gehaald" and ev.allowed == 74
    add_local(data_copy, "burglary_home,GM1969,Westerkwartier,2023,74,test-fixture\n")
    assert evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969").status == "gehaald"


def test_disagreeing_baseline_is_shown_in_the_verdict_with_the_verdict_under_each(data_copy):
    """The issue's case: an analyst's E33 2017 = 377 beside the document's 137."""
    add_local(data_copy, "confused_person_e33,GM1969,Westerkwartier,2017,377,test-fixture\n")
    ds = ivbtools.load(data_copy)
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    assert ev.baseline.value == 377                      # data/local takes precedence
    assert ev.source_sensitive
    by_base = {s.baseline.value: s for s in ev.scenarios}
    assert set(by_base) == {137, 377}
    assert by_base[377].chosen and by_base[137].qualifier == stats.BREAK
    assert by_base[377].qualifier == stats.WITHIN_NOISE  # 395 vs 377: within noise
    text = str(report.verdict_md(ev))
    assert "Met 137 voor 2017 uit Integraal Veiligheidsbeleid Westerkwartier 2024-2027" in text
    assert "Met 377 voor 2017 uit Hand-made test figure" in text and "hangt af van welke bron" in text
    card = scorecard(ds, 2022, "GM1969").set_index("doel_id")
    assert bool(card.loc["sociaal-verward-gedrag", "bronafhankelijk"]) is True
    assert bool(card.loc["verkeer-ongevallen", "bronafhankelijk"]) is False


def test_own_series_gives_an_overdispersion_estimate_and_a_robust_interval(data_copy):
    rows = "".join(f"burglary_home,GM1969,Westerkwartier,{y},{v},test-fixture\n"
                   for y, v in zip(range(2012, 2024), [120, 104, 96, 130, 88, 99, 80, 70, 61, 75, 52, 58]))
    add_local(data_copy, rows)
    ev = evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969")
    assert ev.dispersion is not None and len(ev.dispersion.years) == 12
    a = ev.assessment
    assert a.robust is not None and a.robust.low <= a.exact.low and a.robust.high >= a.exact.high
    assert a.pvalue == a.p_robust
    # the municipality's own part: a Poisson trend fit with the national series as offset (by hand with
    # statsmodels), the moment estimator of tau^2; the shared part from the national series; both said
    import numpy as np
    import statsmodels.api as sm
    y = np.array([120, 104, 96, 130, 88, 99, 80, 70, 61, 75, 52, 58], dtype=float)
    nat = ivbtools.load(data_copy).observations.series("burglary_home", "NL01").set_index("year").value
    t = np.arange(2012, 2024) - 2017.5
    fit = sm.GLM(y, np.column_stack([np.ones(12), t]), family=sm.families.Poisson(),
                 offset=np.log(nat.loc[2012:2023].to_numpy(dtype=float))).fit()
    mu = fit.fittedvalues
    tau2 = max(0.0, (((y - mu) ** 2).sum() * 12 / 10 - mu.sum()) / (mu ** 2).sum())
    d = ev.dispersion
    assert d.tau_idio == pytest.approx(np.sqrt(tau2), rel=1e-6)
    assert d.tau == pytest.approx(np.hypot(d.tau_idio, d.tau_common), rel=1e-9)
    assert "Overdispersie" in ev.dispersion_nl and "een eigen extra jaar-op-jaarschommeling van" in ev.dispersion_nl
    assert "schommeling die alle gemeenten delen" in ev.dispersion_nl
    # the national comparison uses the own part only
    assert ev.national.assessment.dispersion.tau == pytest.approx(d.tau_idio)


@pytest.mark.parametrize("count_2019, status", [(242, "bevestigd"), (300, "niet bevestigd")])
def test_document_statement_is_checked_once_2019_is_known(data_copy, count_2019, status):
    ds = ivbtools.load(data_copy)
    check = next(c for c in ds.policy.checks if c.id == "e33-stijging-2019-2022")
    assert evaluate_check(ds, check).status == "nog niet te controleren"
    add_local(data_copy, f"confused_person_e33,GM1969,Westerkwartier,2019,{count_2019},test-fixture\n")
    ds = ivbtools.load(data_copy)
    # 395 / 242 - 1 = 0.632 (63%); 395 / 300 - 1 = 0.317
    assert evaluate_check(ds, check).status == status


def test_direction_checks(data_copy):
    ds = ivbtools.load(data_copy)
    checks = {c.id: c for c in ds.policy.checks}
    # nationally E35 rose from 76,546 (2019) to 88,711 (2022): "in line with a national fall" is refuted
    r = evaluate_check(ds, checks["e35-daling-landelijke-trend"])
    assert r.status == "niet bevestigd" and "+15,9%" in text(ds, r)
    assert evaluate_check(ds, checks["misdrijven-stijging-2019-2022"]).status == "nog niet te controleren"
    add_local(data_copy, "crimes_total,GM1969,Westerkwartier,2019,2000,test-fixture\n"
                         "crimes_total,GM1969,Westerkwartier,2022,2300,test-fixture\n")
    ds = ivbtools.load(data_copy)
    # 2300 / 2000 = 1.15; exact interval by hand (Clopper-Pearson on 2300 of 4300): 1.08-1.22, without 1
    r = evaluate_check(ds, checks["misdrijven-stijging-2019-2022"])
    assert r.status == "bevestigd" and "van 1,08 tot 1,22" in text(ds, r)
    assert "De jaren ertussen (2020, 2021) hebben geen cijfer" in text(ds, r)


def test_a_rise_within_the_noise_is_not_confirmed_and_names_the_years_between_and_the_sources(data_copy):
    """Issue #28: an analyst supplies 1,320 (2019) and 1,410 (2022) registered crimes, made-up figures of
    the review's shape: +6.8%, exact 95% interval of the ratio 0.99-1.15 (scipy below), p = 0.09. The
    statement 'gestegen' reads 'gestegen, maar binnen de toevalsmarge', lists 2020 and 2021, and says that
    2019 and 2022 come from two publications."""
    from scipy import stats as sps

    lo = sps.beta.ppf(0.025, 1410, 1320 + 1)
    hi = sps.beta.ppf(0.975, 1410 + 1, 1320)
    assert (round(lo / (1 - lo), 2), round(hi / (1 - hi), 2)) == (0.99, 1.15)
    local = data_copy / "local"
    (local / "extra.csv").write_text("indicator,area_code,area_name,year,value,source_id\n"
                                     "crimes_total,GM1969,Westerkwartier,2022,1410,test-fixture-b\n", encoding="utf-8")
    add_local(data_copy, "crimes_total,GM1969,Westerkwartier,2019,1320,test-fixture\n"
                         "crimes_total,GM1969,Westerkwartier,2020,1500,test-fixture\n")
    with (local / "sources.yaml").open("a", encoding="utf-8") as f:
        f.write("  - id: test-fixture-b\n    kind: analyst_supplied\n    publisher: ivb test suite\n"
                "    title: A second hand-made publication (not a real figure)\n    document: tests/test_evaluate.py\n"
                "    retrieved: 2026-12-04\n")
    ds = ivbtools.load(data_copy)
    check = next(c for c in ds.policy.checks if c.id == "misdrijven-stijging-2019-2022")
    r = evaluate_check(ds, check)
    assert r.status == "gestegen, maar binnen de toevalsmarge"
    # a typed result with one status code (issue #30): the label is the code's Dutch words, the direction added
    from ivbtools.verdict.statements import STATUS_NL, WITHIN_NOISE
    assert r.code == WITHIN_NOISE and r.code in STATUS_NL and text(ds, r).endswith(f"Uitkomst: {r.status}.")
    assert "van 0,99 tot 1,15" in text(ds, r) and "kan toeval zijn" in text(ds, r)
    assert "De jaren ertussen: 2020: 1.500; 2021: geen cijfer." in text(ds, r)
    # the figures behind the words are the result's, typed (issue #30: the sentences are written in present/)
    f = r.facts
    assert (f.want, f.got, f.chance) == ("up", "up", True) and f.between == ((2020, 1500.0), (2021, None))
    assert (round(f.interval.low, 2), round(f.interval.high, 2)) == (0.99, 1.15)
    assert f.sources == ("test-fixture", "test-fixture-b")
    assert "Let op: 2019 komt uit" in text(ds, r) and "2022 uit" in text(ds, r)


def test_another_municipality_gets_the_targets_as_a_benchmark_without_westerkwartiers_text(data_copy):
    add_local(data_copy, "confused_person_e33,GM0014,Groningen,2017,1500,test-fixture\n"
                         "confused_person_e33,GM0014,Groningen,2022,2100,test-fixture\n")
    ds = ivbtools.load(data_copy)
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM0014")
    assert ev.benchmark and any("Westerkwartier" in c and "maatstaf" in c for c in ev.context_nl)
    text = str(report.target_md(ev))
    assert "als maatstaf toegepast op Groningen" in text and "137" not in text and "concludeert" not in text
    assert "Westerkwartier" not in report.checks_text(ds, "GM0014").replace("gaan over Westerkwartier", "")
    qual = report.qualitative_table(ds, "GM0014").df
    assert not qual.iloc[:, -1].str.contains("Zuidhorn").any()
    assert "maatstaf" in str(report.scorecard_kort_md(ds, "GM0014", 2022, scorecard(ds, 2022, "GM0014")))


def test_scorecard_lists_every_part_with_holm_across_target_year_tests(data_copy):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,250,test-fixture\n"
                         "burglary_home,GM1969,Westerkwartier,2023,60,test-fixture\n")
    ds = ivbtools.load(data_copy)
    card = scorecard(ds, 2023, "GM1969")
    assert list(card.doel_id) == [p.id for p in ds.policy.parts]
    assert set(card[card.status == "niet_meetbaar"].doel_id) == {p.id for p in ds.policy.parts if p.qualitative}
    c = card.set_index("doel_id")
    p1, p2 = _p_two(250, 358, 0.8), _p_two(60, 75, 1.0)
    small, large = sorted([p1, p2])
    # the family is fixed by the policy: the four count targets that do not straddle the E33 break;
    # the two without a 2023 figure count with p = 1. Holm by hand, m = 4
    assert list(c[c.in_familie].index) == ["verkeer-ongevallen", "verkeer-slachtoffers", "sociaal-woninginbraak",
                                           "jeugd-overlast"]
    holm = {small: min(1, 4 * small), large: min(1, max(4 * small, 3 * large))}
    assert c.loc["verkeer-ongevallen", "p_waarde"] == pytest.approx(p1, rel=1e-9)   # full precision kept
    assert c.loc["verkeer-ongevallen", "p_holm"] == pytest.approx(holm[p1], rel=1e-9)
    assert c.loc["sociaal-woninginbraak", "p_holm"] == pytest.approx(holm[p2], rel=1e-9)
    assert pd.isna(c.loc["sociaal-verward-gedrag", "p_holm"])   # no 2023 figure: no test
    missing = c.ontbreekt
    assert "Meldingen overlast door verward persoon (E33) voor Westerkwartier (GM1969) in 2023" == missing["sociaal-verward-gedrag"]


@pytest.mark.parametrize("year", [2020, 2021, 2022, 2023])
def test_scorecard_view_has_every_verdict_and_no_nan(ds, year):
    card = scorecard(ds, year, "GM1969")
    view, stats = report.scorecard_view(card).df, report.scorecard_stats_view(card).df
    measurable = [p for p in ds.policy.parts if p.measurable]
    # the council's six columns, one row per measurable target, named by its title
    assert list(view.columns) == ["doel", "oordeel", "zekerheid", "waarde", "vereist", "vergelijkbare gemeenten die het haalden"]
    assert list(view.doel) == [p.title for p in measurable] and list(stats.doel) == [p.id for p in measurable]
    for v in (view, stats):
        assert v.notna().all().all()
        text = v.to_string()
        assert not any(bad in text.split() for bad in ("NaN", "nan", "None", "<NA>"))
    assert (view.oordeel.str.len() > 0).all()
    html = report.scorecard_view(card)._repr_html_()
    assert 'class="dataframe ivb-table"' in html and "<th></th>" not in html and "doel_id" not in html


def test_the_e33_report_checks_its_baseline_and_words_the_break_conditionally(ds):
    """2017 = 137 and the document's own +63% for 2019-2022 (395 in 2022) imply about 242 in 2019:
    +77% from 2017, against +19% nationally (99,662 / 83,611). By hand with scipy: the central
    binomial p-value of 242 against 137 at the national ratio is 0.0002."""
    from scipy import stats as sps

    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    implied = round(395 / 1.63)
    r_nat = 99662 / 83611
    p0 = r_nat / (1 + r_nat)
    n = implied + 137
    p_hand = 2 * min(sps.binom.cdf(implied, n, p0), sps.binom.sf(implied - 1, n, p0))
    assert implied == 242 and 0.0001 < p_hand < 0.0005
    check = ev.baseline_check_nl
    assert check.startswith("Controle van het basiscijfer: van 137 in 2017 naar ongeveer 242 in 2019")
    assert "+77%" in check and "landelijk over dezelfde jaren +19%" in check
    assert "als de gewone schommeling van jaar tot jaar klein is, groter dan toeval" in check
    assert check in ev.context_nl
    text = " ".join(ev.context_nl) + ev.stats_nl + ev.dispersion_nl + ev.national.text_nl
    assert "vermoedelijk deels een registratie-effect" in text
    assert "als de registratiewijziging hier even sterk doorwerkte als landelijk" in text
    assert "als er geen reeksbreuk was" in text
    for overclaim in ("zuivere vergelijking", "eerlijke maatstaf", "zonder de reeksbreuk", "is deels een registratie-effect"):
        assert overclaim not in text
    # the national comparison puts its Poisson-only condition first
    assert ("als de gewone schommeling van jaar tot jaar klein is, is dat verschil met de landelijke ontwikkeling groter"
            in ev.national.text_nl)


def test_a_baseline_that_fits_the_national_change_is_not_flagged(data_copy):
    add_local(data_copy, "burglary_home,GM1969,Westerkwartier,2023,60,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969")
    assert ev.baseline_check_nl == ""   # 70 in 2019 against 75 in 2018: -7%, nationally within noise of it


def test_an_own_series_of_small_counts_says_its_estimate_carries_little(data_copy):
    rows = "".join(f"burglary_home,GM1969,Westerkwartier,{y},{v},test-fixture\n"
                   for y, v in zip(range(2012, 2024), [22, 19, 25, 18, 21, 20, 24, 17, 23, 19, 16, 21]))
    add_local(data_copy, rows)
    ev = evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969")
    assert ev.dispersion is not None and ev.series_mean == pytest.approx(sum([22, 19, 25, 18, 21, 20, 24, 17, 23, 19, 16, 21]) / 12)
    assert "zegt zo'n schatting weinig" in ev.dispersion_nl and "docs/methods.md" in ev.dispersion_nl


def test_kort_gives_the_verdict_under_each_source_that_decides_it(data_copy):
    """Issue #29 row 1. Burglary in 2023 must lie below its 2018 level. The embedded newspaper figure
    for 2018 is 75; an analyst supplies 55 for 2018 and 60 for 2023: against 55 not met, against 75
    met. Kort names each source with its verdict — on paper too, since Kort is printed. E33 2022
    against 137 and an analyst's 377: both 'boven het vereiste niveau', only the certainty differs — Kort says
    that, never that the verdict depends on the source."""
    from ivbtools.present.summary import kort_md

    add_local(data_copy, "burglary_home,GM1969,Westerkwartier,2018,55,test-fixture\n"
                         "burglary_home,GM1969,Westerkwartier,2023,60,test-fixture\n")
    ds = ivbtools.load(data_copy)
    ev = evaluate(ds, "sociaal-woninginbraak", 2023, "GM1969")
    kort = str(kort_md(ds, ev))
    assert "De bronnen geven verschillende cijfers, en daarmee een ander oordeel:" in kort
    assert "Met 55 in 2018 uit Hand-made test figure (not a real figure): niet gehaald" in kort
    assert "Met 75 in 2018 uit" in kort and ": gehaald" in kort
    assert "dit cijfer telt volgens de voorrangsregel" in kort and "hangt ervan af" not in kort

    add_local(data_copy, "confused_person_e33,GM1969,Westerkwartier,2017,377,test-fixture\n")
    ds = ivbtools.load(data_copy)
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    kort = str(kort_md(ds, ev))
    assert "het oordeel is onder elke bron hetzelfde (tussenstand: boven het vereiste niveau); alleen de zekerheid" in kort
    assert "met 137 in 2017 uit Integraal Veiligheidsbeleid Westerkwartier 2024-2027: onbeslist: reeksbreuk" in kort
    assert "met 377 in 2017 uit Hand-made test figure (not a real figure): onbeslist: binnen de ruis" in kort
    assert "ander oordeel" not in kort
