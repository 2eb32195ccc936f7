"""Verdicts, statistics and the national comparison, checked against hand and scipy values."""
import pytest
from scipy import stats as sps

import ivbtools
from ivbtools.evaluate import evaluate, evaluate_check, scorecard

from conftest import add_local


def test_e33_2022_is_not_met_with_exact_test_and_national_comparison(ds):
    ev = evaluate(ds, "sociaal-verward-gedrag", 2022, "GM1969")
    assert ev.status == "niet_op_koers"
    assert (ev.baseline.value, ev.observed.value, ev.required) == (137, 395, 137)
    assert ev.change_abs == 258 and ev.change_pct == pytest.approx((395 / 137 - 1) * 100)
    assert ev.test.pvalue == pytest.approx(sps.poisson.sf(394, 137), rel=1e-9)
    assert "niet gehaald" in ev.verdict_nl and "groter dan toeval" in ev.stats_nl
    # with the 2017 count noisy too: 395 of 532 reports in 2022, against p = 1/2 under "no rise"
    assert ev.test_both_noisy.pvalue == pytest.approx(sps.binomtest(395, 532, 0.5, alternative="greater").pvalue, rel=1e-9)
    nat = ev.national
    assert (nat.base_value, nat.value) == (83611, 138807)
    assert nat.index == pytest.approx(100 * 138807 / 83611)  # 166.0
    assert nat.local_index == pytest.approx(100 * 395 / 137)  # 288.3
    assert nat.better is False and "slechter dan het land" in nat.text_nl
    r = 138807 / 83611
    assert nat.test.pvalue == pytest.approx(sps.binomtest(395, 532, r / (1 + r)).pvalue, rel=1e-9)
    assert any("maart 2020" in c for c in ev.caveats)


def test_e33_2023_names_the_missing_figure(ds):
    ev = evaluate(ds, "sociaal-verward-gedrag", 2023, "GM1969")
    assert ev.status == "onvoldoende_gegevens"
    assert [(m.indicator, m.area_code, m.year) for m in ev.missing] == [("confused_person_e33", "GM1969", 2023)]
    assert "confused_person_e33,GM1969,Westerkwartier,2023,<waarde>,<bron-id>" in ev.missing[0].how_to_supply()


def test_e33_registration_caveat_applies_only_across_2020(ds):
    from ivbtools.registry import Caveat
    c = Caveat("x", crosses_year=2020)
    assert c.applies([2021, 2022], "GM1969") is False
    assert c.applies([2017, 2022], "GM1969") is True
    assert c.applies([2019, 2020], "GM1969") is True
    # the burglary target (2018 -> 2023) carries no E33 caveat
    ev = evaluate(ds, "sociaal-woninginbraak", 2023, "GM1969")
    assert not any("E33" in t for t in ev.caveats)


def test_analyst_csv_changes_the_accident_verdict_without_code_change(data_copy):
    before = evaluate(ivbtools.load(data_copy), "verkeer-ongevallen", 2023, "GM1969")
    assert before.status == "onvoldoende_gegevens"
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,250,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-ongevallen", 2023, "GM1969")
    assert ev.status == "gehaald"                       # 250 <= 0.8 * 358 = 286.4
    assert ev.required == pytest.approx(286.4)
    p0 = 0.8 / 1.8
    assert ev.test.pvalue == pytest.approx(sps.binomtest(250, 608, p0, alternative="less").pvalue, rel=1e-9)
    assert ev.national.local_index == pytest.approx(100 * 250 / 358)
    assert ev.national.better is True                   # national BRON count rose (index 129)


def test_a_reduction_within_noise_is_called_so(data_copy):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2023,280,test-fixture\n")
    ev = evaluate(ivbtools.load(data_copy), "verkeer-ongevallen", 2023, "GM1969")
    p = sps.binomtest(280, 638, 0.8 / 1.8, alternative="less").pvalue
    assert ev.status == "gehaald" and p > 0.05
    assert ev.test.pvalue == pytest.approx(p, rel=1e-9) and "binnen de toevalsmarge" in ev.stats_nl


def test_intermediate_year_uses_the_straight_path(data_copy):
    add_local(data_copy, "traffic_accidents,GM1969,Westerkwartier,2021,330,test-fixture\n"
                         "traffic_accidents,GM1969,Westerkwartier,2022,320,test-fixture\n")
    ds = ivbtools.load(data_copy)
    ev21 = evaluate(ds, "verkeer-ongevallen", 2021, "GM1969")
    assert ev21.required == pytest.approx(358 * (1 - 0.2 / 3))   # 334.13
    assert ev21.status == "op_koers"
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
    assert ev.status == status and ev.test is None and "steekproefomvang" in ev.stats_nl


def test_below_baseline_is_strict(data_copy):
    add_local(data_copy, "burglary_home,GM1969,Westerkwartier,2023,75,test-fixture\n")
    assert evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969").status == "niet_gehaald"
    add_local(data_copy, "burglary_home,GM1969,Westerkwartier,2023,74,test-fixture\n")
    assert evaluate(ivbtools.load(data_copy), "sociaal-woninginbraak", 2023, "GM1969").status == "gehaald"


@pytest.mark.parametrize("count_2019, status", [(242, "bevestigd"), (300, "niet bevestigd")])
def test_document_statement_is_checked_once_2019_is_known(data_copy, count_2019, status):
    ds = ivbtools.load(data_copy)
    assert evaluate_check(ds, ds.policy.checks[0])["status"] == "nog niet te controleren"
    add_local(data_copy, f"confused_person_e33,GM1969,Westerkwartier,2019,{count_2019},test-fixture\n")
    ds = ivbtools.load(data_copy)
    # 395 / 242 - 1 = 0.632 (63%); 395 / 300 - 1 = 0.317
    assert evaluate_check(ds, ds.policy.checks[0])["status"] == status


def test_scorecard_lists_every_part(ds):
    card = scorecard(ds, 2023, "GM1969")
    assert list(card.doel_id) == [p.id for p in ds.policy.parts]
    assert set(card[card.status == "niet_meetbaar"].doel_id) == {p.id for p in ds.policy.parts if p.qualitative}
    missing = card.set_index("doel_id").ontbreekt
    assert "Verkeersongevallen (alle ernst, BRON) voor Westerkwartier (GM1969) in 2023" == missing["verkeer-ongevallen"]
    assert "in 2020" in missing["verkeer-slachtoffers"] and "in 2023" in missing["verkeer-slachtoffers"]
