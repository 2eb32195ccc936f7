"""The 2024–2027 monitor (issue #19, first part): the priorities as data, a planted jump signalled
and a stable year not, `ivb monitor` writing a Dutch page and Dutch CSVs. Figures added here are
made up (source test-fixture) and live only in tmp folders."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import ivbtools
from ivbtools import IvbError
from ivbtools.present.statements import statement_text as text
from ivbtools.verdict.monitor import monitor_table
from ivbtools.verdict.signals import HIGHER, NO_DATA, STRONG, WEAK, WITHIN

from conftest import SHARED, add_local, ivb


def test_the_five_priorities_are_data_with_their_2027_goals_quoted(ds):
    mon = ds.monitor
    assert [p.name for p in mon.priorities] == ["Ondermijning", "Zorg en veiligheid", "Jeugd en veiligheid",
                                                "Digitale veiligheid", "Verbinding met de samenleving"]
    policy_text = SHARED / "docs" / "ivb-westerkwartier-2024-2027.txt"
    doc = " ".join(policy_text.read_text(encoding="utf-8").split()) if policy_text.is_file() else None
    for p in mon.priorities:
        assert p.goal_2027.startswith("In 2027 ")
        if doc is not None:   # quoted verbatim from chapter 1
            assert p.goal_2027 in doc, p.id
    verbinding = mon.priorities[-1]
    assert not verbinding.indicators and "Geen open cijfer" in verbinding.no_indicator


def test_an_unknown_indicator_in_the_monitor_file_is_one_line(data_copy):
    path = data_copy / "monitor" / "ivb-2024-2027.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("indicator: cybercrime", "indicator: cyber_crime"),
                    encoding="utf-8")
    with pytest.raises(IvbError, match=r"unknown indicator 'cyber_crime' — use an id of data/indicators.yaml"):
        ivbtools.load(data_copy)


@pytest.fixture
def planted(data_copy):
    """Westerkwartier's weapons and cybercrime counts 2019-2025 (made up): weapons steady, then a
    jump in 2024; cybercrime steady throughout; 2025 only for cybercrime."""
    rows = "".join(f"weapons_trade,GM1969,Westerkwartier,{y},{v},test-fixture\n"
                   for y, v in zip(range(2019, 2025), (24, 26, 24, 22, 25, 61)))
    rows += "".join(f"cybercrime,GM1969,Westerkwartier,{y},{v},test-fixture\n"
                    for y, v in zip(range(2019, 2026), (110, 118, 104, 112, 108, 115, 109)))
    add_local(data_copy, rows)
    return data_copy


def test_a_planted_jump_is_signalled_and_a_stable_year_is_not(planted):
    ds = ivbtools.load(planted)
    t = monitor_table(ds, 2025).set_index(["indicator", "periode"])
    assert t.loc[("weapons_trade", "2024"), "signaal"] == HIGHER
    assert t.loc[("weapons_trade", "2025"), "signaal"] == NO_DATA
    assert t.loc[("cybercrime", "2024"), "signaal"] == WITHIN and t.loc[("cybercrime", "2025"), "signaal"] == WITHIN
    # the 2024 expectation rests on 2019-2023, flat (no significant trend): the mean 24.2
    assert t.loc[("weapons_trade", "2024"), "basisjaren"] == "2019, 2020, 2021, 2022, 2023"
    assert t.loc[("weapons_trade", "2024"), "verwacht"] == pytest.approx(24.2)
    # by hand: phi = 1, sd = sqrt(24,2 + 24,2^2 / (5 * 24,2)) = 5,39; the 99% bound with t(4) = 4,604 is
    # 24,2 * (1 + 2/3 * 4,604 * 5,39 / 24,2)^1,5 = 52,9 < 61: a strong signal
    assert t.loc[("weapons_trade", "2024"), "sterkte"] == STRONG
    assert (t.loc["cybercrime"].sterkte == "").all()
    # the jump year widens the next range, and the table says so beside it; the stable series has no such year
    assert t.loc[("weapons_trade", "2025"), "basis_buiten_verwachting"] == "2024"
    assert t.loc[("weapons_trade", "2024"), "basis_buiten_verwachting"] == ""
    assert (t.loc["cybercrime"].basis_buiten_verwachting == "").all()


def test_ivb_monitor_writes_a_dutch_page_and_dutch_csvs(planted, tmp_path):
    out = tmp_path / "out"
    proc = ivb(["--data", str(planted), "monitor", "--year", "2025", "--output", str(out)])
    assert proc.returncode == 0, proc.stderr
    folder = out / "monitor" / "2025"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in page and "Doelstelling 2027" in page and "hoger dan verwacht" in page
    assert page.count("<h2>") >= 6 and "Verbinding met de samenleving" in page
    sig = pd.read_csv(folder / "signals.csv", sep=";", decimal=",", encoding="utf-8-sig")
    n = sum(len(p.indicators) for p in ivbtools.load(planted).monitor.priorities)
    # every indicator, 2024 and 2025; the table's signal codes in the reader's words
    assert n >= 7 and len(sig) == n * 2 and set(sig.signaal) >= {"hoger dan verwacht", "binnen de verwachting"}
    assert set(sig.signaal) <= {"hoger dan verwacht", "lager dan verwacht", "binnen de verwachting", "geen gegevens", "geen verwachting"}
    weapons = sig.set_index(["indicator", "periode"]).loc[("weapons_trade", 2024)]
    assert (weapons.signaal, weapons.sterkte) == ("hoger dan verwacht", "sterk")
    st = pd.read_csv(folder / "statements.csv", sep=";", encoding="utf-8-sig")
    assert set(st.uitkomst) <= {"bevestigd", "niet bevestigd", "nog niet te controleren", "binnen de toevalsmarge",
                                "gestegen, maar binnen de toevalsmarge", "gedaald, maar binnen de toevalsmarge"}
    assert len(st) >= 3
    # a year outside the policy period: one line, nothing written
    later = ivb(["--data", str(planted), "monitor", "--year", str(dt.date.today().year + 1), "--output", str(tmp_path / "x")])
    assert later.returncode == 2 and later.stderr.count("\n") == 1 and "the monitor covers 2024" in later.stderr
    assert not (tmp_path / "x").exists()


def test_every_statement_is_quoted_from_the_document_and_has_an_outcome(ds):
    """Chapters 1 and 4's checkable statements are data (the policy file's `checks`): each quote
    is verbatim, each has one of the three outcomes; the ones the open data cannot check name the
    figure an analyst must supply."""
    from ivbtools.verdict.statements import evaluate_check

    policy_text = SHARED / "docs" / "ivb-westerkwartier-2024-2027.txt"
    doc = " ".join(policy_text.read_text(encoding="utf-8").split()) if policy_text.is_file() else None
    assert len(ds.policy.checks) >= 15
    for c in ds.policy.checks:
        if doc is not None:
            assert c.quote in doc, c.id
        r = evaluate_check(ds, c)
        assert r.status in ("bevestigd", "niet bevestigd", "nog niet te controleren"), c.id
        if c.kind == "needs_figure":
            assert r.status == "nog niet te controleren" and "Nodig om te controleren:" in text(ds, r) and c.needs


def test_lowest_in_ten_years_by_hand(data_copy):
    from ivbtools.verdict.statements import evaluate_check

    values = dict(zip(range(2013, 2023), (220, 210, 230, 200, 190, 205, 180, 260, 240, 170)))
    add_local(data_copy, "".join(f"youth_nuisance_e35,GM1969,Westerkwartier,{y},{v},test-fixture\n" for y, v in values.items()))
    ds = ivbtools.load(data_copy)
    check = next(c for c in ds.policy.checks if c.kind == "lowest_in")
    r = evaluate_check(ds, check)
    assert r.status == "bevestigd" and "2022: 170; het laagste van de andere jaren met een cijfer: 180 (2019)" in text(ds, r)
    # a tie is not 'the lowest'
    (data_copy / "local" / "test.csv").write_text((data_copy / "local" / "test.csv").read_text().replace(",2019,180,", ",2019,170,"))
    assert evaluate_check(ivbtools.load(data_copy), check).status == "niet bevestigd"


def test_lowest_in_with_a_year_missing_cannot_be_checked_yet(data_copy):
    from ivbtools.verdict.statements import evaluate_check

    values = dict(zip([2013, 2014, 2016, 2017, 2018, 2019, 2020, 2021, 2022], (220, 210, 200, 190, 205, 180, 260, 240, 170)))
    add_local(data_copy, "".join(f"youth_nuisance_e35,GM1969,Westerkwartier,{y},{v},test-fixture\n" for y, v in values.items()))
    ds = ivbtools.load(data_copy)
    r = evaluate_check(ds, next(c for c in ds.policy.checks if c.kind == "lowest_in"))
    assert r.status == "nog niet te controleren" and "in 2015" in text(ds, r)


@pytest.mark.parametrize("count, population, status, interval", [
    (60, 60000, "binnen de toevalsmarge", "van 1,32 tot 2,23 keer"),
    (600, 600000, "bevestigd", "van 1,57 tot 1,84 keer")])
def test_rate_below_national_by_hand(data_copy, count, population, status, interval):
    """Shoplifting 2022 (made up): 60 in a town of 60,000 (1,00 per 1,000) against 30,000 in 17.6
    million (1,70 per 1,000): 1,7 times as high, above the factor 1,5 the reading sets — but the exact
    Poisson interval of 60 (Garwood, chi-square by hand: 45,8-77,2) gives 1,32-2,23 times, and the
    line 1,5 lies inside it (issue #28). Ten times the counts: 1,57-1,84, the line outside: confirmed."""
    from ivbtools.verdict.statements import evaluate_check

    add_local(data_copy, f"shoplifting,GM1969,Westerkwartier,2022,{count},test-fixture\n"
                         f"population,GM1969,Westerkwartier,2022,{population},test-fixture\n"
                         "shoplifting,NL01,Nederland,2022,30000,test-fixture\n"
                         "population,NL01,Nederland,2022,17647059,test-fixture\n")
    ds = ivbtools.load(data_copy)
    check = next(c for c in ds.policy.checks if c.kind == "rate_below_national")
    r = evaluate_check(ds, check)
    assert check.factor == 1.5 and r.status == status
    assert "Westerkwartier 1,00, Nederland 1,70 (1,7 keer zo hoog)" in text(ds, r) and interval in text(ds, r)
    assert ("die grens ligt binnen de marge" in text(ds, r)) == (status != "bevestigd")


def test_the_analysts_monitor_notebook_shows_one_priority_in_depth(planted, tmp_path):
    """notebooks/monitor.ipynb with papermill on the planted figures: the priority's goal, the
    jump of 2024 signalled, the look back over earlier years; a wrong priority or year is one line."""
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "m.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", "notebooks/monitor.ipynb", str(out), "-r", "priority_id",
                           "ondermijning", "-p", "year", "2025", "-r", "data_dir", str(planted), "--no-progress-bar"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text(encoding="utf-8")
    assert "Doelstelling 2027" in text and "hoger dan verwacht" in text and "Wapenhandel en -bezit" in text
    assert "2019, 2020, 2021, 2022, 2023" in text and "image/svg+xml" in text
    from ivbtools.present import params
    with pytest.raises(IvbError, match="unknown priority 'jeugd' — valid ids: ondermijning, zorg-en-veiligheid"):
        params.check_priority(ivbtools.load(planted), "jeugd")
    with pytest.raises(IvbError, match=r"^parameter year 2023: the monitor covers 2024"):
        params.check_monitor_year(ivbtools.load(planted), 2023)


def test_another_municipality_gets_the_signals_but_not_westerkwartiers_statements(planted, tmp_path):
    add_local(planted, "".join(f"cybercrime,GM0014,Groningen,{y},{v},test-fixture\n"
                               for y, v in zip(range(2019, 2025), (900, 950, 920, 980, 940, 2100))), name="gm0014.csv")
    proc = ivb(["--data", str(planted), "monitor", "--year", "2024", "--municipality", "GM0014", "--output", str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "GM0014" / "monitor" / "2024"
    sig = pd.read_csv(folder / "signals.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert set(sig.gemeente) == {"GM0014"} and (sig[sig.indicator == "cybercrime"].signaal == "hoger dan verwacht").all()
    assert pd.read_csv(folder / "statements.csv", sep=";", encoding="utf-8-sig").empty


# --- the stand-ins as the service would serve them in December 2026 -----------------------------

def _fixture_ytd(code: str, cat: str, year: int, last: int = 10, table: str = "47021NED") -> int:
    import panel_fixture as pf

    return int(pf._later_draws()["months"][(table, cat, code, year)][:last].sum())


def test_the_monthly_figures_are_fetched_and_cached_beside_the_years(through_october):
    data, _, got = through_october
    line = next(o.message for o in got.outcomes if o.source == "police-nuisance" and o.area == "GM1969")
    assert "left out, not a whole year yet: 2026 (t/m oktober)" in line and "monthly figures up to 2026-10" in line
    ds = ivbtools.load(data)
    m = ds.months.table
    e33 = m[(m.indicator == "confused_person_e33") & (m.area_code == "GM1969")]
    # 2012-2025 whole, 2026 January-October: 14 x 12 + 10 months
    assert len(e33) == 14 * 12 + 10 and e33.year.max() == 2026 and e33[e33.year == 2026].month.max() == 10
    # the partial year never becomes a yearly figure
    assert 2026 not in set(ds.observations.series("confused_person_e33", "GM1969").year)
    # the months add up to the yearly figure the table gives for a whole year
    assert e33[e33.year == 2025].value.sum() == ds.observations.series("confused_person_e33", "GM1969") \
        .set_index("year").value[2025]


def test_monitor_2026_signals_the_planted_jump_to_date_and_not_the_stable_series(through_october):
    _, folder, _ = through_october
    sig = pd.read_csv(folder / "signals.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"periode": str})
    t = sig.set_index(["indicator", "periode"])
    e33, e35 = t.loc[("confused_person_e33", "2026 t/m oktober")], t.loc[("youth_nuisance_e35", "2026 t/m oktober")]
    # the figures to date are the fixture's January-October sums, computed here from its draws
    assert e33.waarde == _fixture_ytd("GM1969", "E33   ", 2026) and e35.waarde == _fixture_ytd("GM1969", "E35   ", 2026)
    assert e33.signaal == "hoger dan verwacht" and e35.signaal == "binnen de verwachting"
    # E33: the same months of the five years after the 2020 break; E35: five years without the corona years
    assert e33.basisjaren == "2021, 2022, 2023, 2024, 2025" and e35.basisjaren == "2019, 2022, 2023, 2024, 2025"
    assert e33.vergelijkbare_gemeenten == "geen vergelijking: van andere gemeenten alleen hele jaren"
    # the whole years 2024 and 2025 from the yearly table, with the peer position as context
    for ind in ("confused_person_e33", "youth_nuisance_e35", "weapons_trade", "cybercrime"):
        for y in ("2024", "2025"):
            assert t.loc[(ind, y), "signaal"] in ("binnen de verwachting", "hoger dan verwacht", "lager dan verwacht")
            assert "vergelijkbare gemeenten" in t.loc[(ind, y), "vergelijkbare_gemeenten"]
    # crimes to date from the monthly crime table (47013NED): the yearly table has no 2026 yet
    assert t.loc[("weapons_trade", "2026 t/m oktober"), "waarde"] == _fixture_ytd("GM1969", "3.1.3 ", 2026, table="47025NED")
    assert ("weapons_trade", "2026") not in t.index
    # the national figure of the same months beside it
    assert t.loc[("confused_person_e33", "2026 t/m oktober"), "landelijk_waarde"] > 10 * e33.waarde
    # the period as a value beside its label: year and last month in columns of their own (issue #30)
    assert e33.jaar == 2026 and e33.tot_maand == 10
    whole = t.loc[("confused_person_e33", "2025")]
    assert whole.jaar == 2025 and pd.isna(whole.tot_maand)


def test_a_period_is_a_value_and_the_year_to_date_is_never_read_back_from_its_label():
    from ivbtools.data.months import Period
    from ivbtools.verdict.monitor import COLUMNS, is_year_to_date, period_of

    assert Period(2026, 10).label == "2026 t/m oktober" and not Period(2026, 10).whole
    assert Period(2025).label == "2025" and Period(2025).whole and Period(2025) != Period(2025, 12)
    with pytest.raises(ValueError):
        Period(2026, 13)
    # a row's period comes from its columns: a label alone (even one that looks like a year to date) decides nothing
    rows = pd.DataFrame([{c: None for c in COLUMNS} | {"periode": "2026 t/m oktober", "jaar": 2026, "tot_maand": 10},
                         {c: None for c in COLUMNS} | {"periode": "2026 t/m oktober", "jaar": 2026, "tot_maand": None}],
                        columns=COLUMNS)
    assert list(is_year_to_date(rows)) == [True, False]
    assert [period_of(r) for r in rows.itertuples()] == [Period(2026, 10), Period(2026)]


def test_monitor_2026_page_shows_the_five_priorities_and_labels_the_current_year(through_october):
    _, folder, _ = through_october
    page = (folder / "index.html").read_text(encoding="utf-8")
    for name in ("Ondermijning", "Zorg en veiligheid", "Jeugd en veiligheid", "Digitale veiligheid",
                 "Verbinding met de samenleving"):
        assert f"<h2>{name}</h2>" in page
    assert "Maandcijfers: 2026 t/m oktober." in page
    # beside the year to date: the months used, the years compared, and that police months are revised
    assert ("januari t/m oktober opgeteld tegen dezelfde maanden van 2021, 2022, 2023, 2024, 2025; de politie werkt "
            "maandcijfers achteraf bij") in page
    assert "Het lopende jaar (2026 t/m oktober): vergeleken met dezelfde maanden van de jaren ervoor" in page
    assert "Alleen per heel jaar" not in page   # every monitored indicator has its months
    attention = page.split("Vraagt aandacht:", 1)[1].split("</li>", 1)[0]
    assert "Meldingen overlast door verward persoon (E33) 2026 t/m oktober:" in attention
    # the police label 2025 'Definitief' but revise it afterwards (data/live.yaml newest_year_provisional):
    # the page marks the newest year and the year to date, and says why in Kort
    assert "(voorlopig)" in attention
    sig = pd.read_csv(folder / "signals.csv", sep=";", decimal=",", encoding="utf-8-sig", dtype={"periode": str})
    marked = sig.set_index(["indicator", "periode"]).voorlopig
    assert marked[("confused_person_e33", "2025")] == "ja" and marked[("confused_person_e33", "2024")] == "nee"
    assert marked[("confused_person_e33", "2026 t/m oktober")] == "ja"
    assert "Voorlopig (2025, 2026 t/m oktober): de politie werkt haar cijfers achteraf bij" in page
    assert "Meldingen overlast jeugd (E35)" not in attention
    st = pd.read_csv(folder / "statements.csv", sep=";", encoding="utf-8-sig")
    assert (st.uitkomst != "nog niet te controleren").sum() >= 12


def test_the_year_to_date_has_its_own_panel_and_the_ranges_differ_in_greyscale(through_october):
    """Issue #29 row 8: ten months never stand on the axis of whole years (they would look like a
    fall); the year to date's range is hatched and white, the whole years' solid grey — apart on paper."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.colors import to_rgba

    from ivbtools.present.plots import plot_monitor

    data, _, _ = through_october
    ds = ivbtools.load(data)
    t = monitor_table(ds, 2026)
    ax = plot_monitor(ds, "confused_person_e33", "GM1969", t[t.indicator == "confused_person_e33"])
    fig = ax.figure
    years_ax, ytd_ax = fig.axes
    assert years_ax is ax and ax.get_xlim()[1] < 2026 - 0.3   # the whole years end at 2025
    assert all(x < 2026 for line in ax.get_lines() for x in line.get_xdata())
    assert ytd_ax.get_title() == "2026\nt/m oktober"
    grey = lambda c: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]   # noqa: E731  (luminance, as a greyscale print)
    whole = [p for c in ax.containers for p in c.patches]       # the bars of the ranges
    ytd = [p for c in ytd_ax.containers for p in c.patches]
    assert whole and len(ytd) == 1
    assert all(not p.get_hatch() for p in whole) and ytd[0].get_hatch() == "///"
    assert abs(grey(to_rgba(whole[0].get_facecolor())) - grey(to_rgba(ytd[0].get_facecolor()))) > 0.15
    value = [line for line in ytd_ax.get_lines() if line.get_marker() == "D"]
    assert value and value[0].get_ydata()[0] == _fixture_ytd("GM1969", "E33   ", 2026)
    matplotlib.pyplot.close(fig)


def test_the_monthly_series_behind_the_year_to_date_is_in_a_csv_and_the_notebook_view(through_october):
    """Issue #29 (analyst): months.csv beside the monitor page holds every month of the monitored
    indicators with its source; the notebook's view shows a row per year and a column per month."""
    from ivbtools.present.report import months_view

    data, folder, _ = through_october
    m = pd.read_csv(folder / "months.csv", sep=";", encoding="utf-8-sig", dtype={"gebiedscode": str})
    assert list(m.columns) == ["indicator", "omschrijving", "gebied", "gebiedscode", "jaar", "maand", "maandnummer",
                               "aantal", "bron"]
    e33 = m[(m.indicator == "confused_person_e33") & (m.gebiedscode == "GM1969") & (m.jaar == 2026)]
    assert list(e33.maand) == ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                               "oktober"]
    assert e33.aantal.sum() == _fixture_ytd("GM1969", "E33   ", 2026) and e33.bron.str.contains("47021NED").all()
    assert "months.csv" in (folder / "index.html").read_text(encoding="utf-8")
    view = months_view(ivbtools.load(data), "confused_person_e33", "GM1969").df.set_index("jaar")
    assert view.loc["2026", "nov"] == "–" and view.loc["2026", "okt"] != "–"
    assert view.loc["2026", "som (maanden met cijfer)"].replace(".", "") == str(_fixture_ytd("GM1969", "E33   ", 2026))


def test_a_damaged_months_file_is_one_warning_and_the_years_stay(through_october, tmp_path):
    import shutil

    data, _, _ = through_october
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    victim = next((copy / "cache" / "months").glob("police-nuisance-*-GM1969.csv"))
    victim.write_text(victim.read_text(encoding="utf-8").replace(",2026,10,", ",2026,10,1"), encoding="utf-8")
    ds = ivbtools.load(copy)
    assert any(str(victim) in w and "ivb fetch --refresh" in w for w in ds.warnings)
    assert ds.months.year_to_date("confused_person_e33", "GM1969", 2026) is None
    assert 2025 in set(ds.observations.series("confused_person_e33", "GM1969").year)


def test_the_monitor_is_written_again_only_when_its_inputs_change(planted, tmp_path):
    out = tmp_path / "out"
    args = ["--data", str(planted), "monitor", "--year", "2025", "--output", str(out)]
    assert ivb(args).returncode == 0
    page = out / "monitor" / "2025" / "index.html"
    first = page.stat().st_mtime_ns, page.read_bytes()
    again = ivb(args)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert (page.stat().st_mtime_ns, page.read_bytes()) == first   # not touched
    # another figure of a monitored indicator (of another municipality: the peer position reads it)
    add_local(planted, "cybercrime,GM0014,Groningen,2024,999,test-fixture\n", name="more.csv")
    changed = ivb(args)
    assert changed.returncode == 0 and "written to" in changed.stdout and page.stat().st_mtime_ns != first[0]
    assert "up to date" in ivb(args).stdout and "written to" in ivb(args + ["--force"]).stdout


def test_a_cache_from_before_the_monthly_figures_gets_them_at_the_next_fetch(server, data_copy):
    """An entry written by an ivb that kept whole years only has no monthly extract: the next fetch
    downloads the table again instead of calling the entry up to date; the one after is cached."""
    import json

    from ivbtools.live.fetch import fetch

    fetch(data_copy, ["GM1969"], quiet=True, timeout=10, source_timeout=60)
    index = data_copy / "cache" / "index.json"
    idx = json.loads(index.read_text(encoding="utf-8"))
    for key in ("police-nuisance:GM1969", "police-nuisance:NL01"):
        for field in ("monthly", "months", "months_sha256"):
            idx[key].pop(field)
    index.write_text(json.dumps(idx), encoding="utf-8")
    from replay import PARTIAL_MONTHS, PARTIAL_YEAR

    m = ivbtools.load(data_copy).months
    assert m.last_month("confused_person_e33", "GM1969", PARTIAL_YEAR) is None   # no nuisance months in use
    again = fetch(data_copy, ["GM1969"], quiet=True, timeout=10, source_timeout=60)
    nuisance = [o for o in again.outcomes if o.source == "police-nuisance"]
    crimes = [o for o in again.outcomes if o.source == "police-crimes"]
    assert all(not o.from_cache and "monthly figures up to" in o.message for o in nuisance)
    assert all(o.from_cache for o in crimes)   # a yearly table's entry stays as it is
    assert ivbtools.load(data_copy).months.last_month("confused_person_e33", "GM1969", PARTIAL_YEAR) == PARTIAL_MONTHS
    third = fetch(data_copy, ["GM1969"], quiet=True, timeout=10, source_timeout=60)
    assert all(o.from_cache for o in third.outcomes if o.source == "police-nuisance")


def test_the_monthly_queries_ask_only_months_and_the_columns_used(through_october):
    """The crime months come from 47013NED in one filtered query (months only, the four columns
    used, the two areas and the monitored categories); nothing yearly is cached from it."""
    import json
    from urllib.parse import unquote_plus

    data, _, _ = through_october
    meta = json.loads(next((data / "cache" / "raw" / "police-crimes-months").glob("GM1969.json.meta.json")).read_text())
    url = unquote_plus(meta["url"])
    assert "/47013NED/TypedDataSet" in url and "substringof('MM',Perioden)" in url and "JJ" not in url
    assert "$select=RegioS,Perioden,SoortMisdrijf,GeregistreerdeMisdrijven_1" in url
    idx = json.loads((data / "cache" / "index.json").read_text(encoding="utf-8"))
    entry = idx["police-crimes-months:GM1969"]
    assert entry["months_only"] and "extract" not in entry and entry["months"].startswith("months/")
    nuisance = json.loads((data / "cache" / "raw" / "police-nuisance" / "GM1969.json").read_text(encoding="utf-8"))
    assert "substringof('MM',Perioden)" in unquote_plus(nuisance["month_url"])


def test_the_page_says_how_many_chance_signals_to_expect_and_never_reads_no_data_as_all_clear(tmp_path):
    """By hand: 21 judgements at 1-10% each (M2.1) give 0,2 to 2,1 chance signals, at least one with
    probability 1-0.99^21 = 19% to 1-0.90^21 = 89%. Without any figure the line says there is nothing to
    judge yet."""
    import pandas as pd

    from ivbtools.present.monitorpage import _attention_line
    from ivbtools.verdict.monitor import COLUMNS

    def table(values, signal):
        return pd.DataFrame([{c: None for c in COLUMNS} | {"indicator_naam": f"ind {k % 7}", "periode": str(2024 + k // 7),
                                                          "waarde": v, "signaal": signal, "voorlopig": False}
                             for k, v in enumerate(values)], columns=COLUMNS)
    line = _attention_line(table([10.0] * 21, WITHIN))
    assert "Bij 21 oordelen" in line and "ongeveer 0,2 tot 2,1" in line and "minstens één: 19–89%" in line
    # a strong signal: at most 2% per judgement (M2.2), 21 x 0,02 = 0,42
    assert "hooguit 2% kans per oordeel, bij 21 oordelen samen hooguit ongeveer 0,4" in line
    assert "geen indicator buiten de verwachte marge" in line
    empty = _attention_line(table([None] * 21, NO_DATA))
    assert "niets te zeggen" in empty and "geen indicator buiten" not in empty and "ind 0" in empty


def test_the_summary_tells_a_strong_signal_from_one_chance_explains_easily():
    """Issue #28 item 3: a weak signal (only outside the 95% range) and a strong one (outside the 99%
    range too) are named as such, the strong one first, with the sentence that says what the words mean."""
    import pandas as pd

    from ivbtools.present.monitorpage import _attention_line
    from ivbtools.verdict.monitor import COLUMNS

    rows = [{c: None for c in COLUMNS} | {"indicator_naam": name, "periode": "2025", "waarde": v, "signaal": sig,
                                         "sterkte": k, "voorlopig": False, "verwacht_laag": 10.0, "verwacht_hoog": 20.0}
            for name, v, sig, k in [("Wapenhandel", 23.0, HIGHER, WEAK), ("Drugs", 60.0, HIGHER, STRONG),
                                    ("Fietsdiefstal", 15.0, WITHIN, "")]]
    line = _attention_line(pd.DataFrame(rows, columns=COLUMNS))
    assert "Drugs 2025: 60, verwacht 10–20 (hoger dan verwacht; sterk signaal)" in line
    assert "Wapenhandel 2025: 23, verwacht 10–20 (hoger dan verwacht; zwak signaal, toeval kan dit makkelijk geven)" in line
    assert line.index("Drugs") < line.index("Wapenhandel") and "minder dan 1 op de 100 keer" in line
    assert "Fietsdiefstal" not in line


def test_the_footer_names_the_data_actually_used(through_october):
    """Issue #29 row 9: a run on downloaded figures never reads 'snapshot v1' alone; the embedded data
    says it is the embedded snapshot."""
    from ivbtools.data.datastatus import basis_short

    from conftest import DATA

    data, _, _ = through_october
    assert basis_short(ivbtools.load(data)).startswith("gedownloade cijfers, opgehaald t/m ")
    assert basis_short(ivbtools.load(DATA)) == "ingebouwde momentopname v1"
