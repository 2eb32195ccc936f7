"""The target registry quotes every 2020-2023 target and validates hand-edited YAML."""
import re
import textwrap

import pytest

from ivbtools import IvbError
from ivbtools.data.registry import load_indicators
from ivbtools.data.targets import load_policy

from conftest import DATA, SHARED

POLICY_DOC = SHARED / "docs" / "ivb-westerkwartier-2024-2027.txt"


def test_every_theme_and_part_of_chapter_3_is_present(ds):
    parts = {p.id: p for p in ds.policy.parts}
    themes = {p.theme_name for p in parts.values()}
    assert themes == {"Verkeersveiligheid", "Sociale veiligheid", "Jeugd en veiligheid", "Ondermijnende criminaliteit"}
    assert parts["verkeer-ongevallen"].rule.change == -0.20
    assert (parts["verkeer-ongevallen"].rule.baseline_year, parts["verkeer-ongevallen"].rule.target_year) == (2020, 2023)
    assert parts["verkeer-rapportcijfer"].rule.threshold == 7.5
    assert parts["sociaal-verward-gedrag"].rule.kind == "at_or_below_baseline"
    assert parts["sociaal-verward-gedrag"].rule.baseline_year == 2017
    assert parts["sociaal-woninginbraak"].rule.baseline_year == 2018
    assert parts["jeugd-overlast"].indicator == "youth_nuisance_e35"
    qualitative = {p.theme_id for p in parts.values() if p.qualitative}
    assert qualitative == {"sociaal", "jeugd", "ondermijning"}
    assert all(p.account for p in parts.values() if p.qualitative)


@pytest.mark.skipif(not POLICY_DOC.exists(), reason="shared/docs not beside the checkout")
def test_quotes_are_verbatim_from_the_policy_document(ds):
    doc = " ".join(POLICY_DOC.read_text(encoding="utf-8").split())
    doc = re.sub(r"\s*Integraal veiligheidsbeleid Gemeente Westerkwartier 2024-2027\s*\d+\s*", " ", doc)
    for p in ds.policy.parts:
        for text in (p.quote, p.theme_quote):
            for fragment in text.split("[...]"):
                fragment = fragment.strip(" .")
                assert fragment in doc, f"{p.id}: not verbatim: {fragment[:60]}"


BASE = """\
policy: {id: t, title: T, municipality: GM1969, period: [2020, 2023], source_id: s}
themes:
  - id: th
    name: Th
    quote: q
    parts:
"""


def _policy(tmp_path, parts_yaml: str):
    path = tmp_path / "t.yaml"
    path.write_text(BASE + textwrap.indent(textwrap.dedent(parts_yaml), "      "), encoding="utf-8")
    return load_policy(path, load_indicators(DATA / "indicators.yaml"))


PART = "- id: a\n  title: A\n  quote: q\n  indicator: traffic_accidents\n"


@pytest.mark.parametrize("rule, message", [
    ("{kind: fewer, baseline_year: 2020, target_year: 2023}", "unknown rule kind 'fewer'"),
    ("{kind: relative_change, baseline_year: 2023, target_year: 2020, change: -0.2}", "baseline_year 2023 is not before target_year 2020"),
    ("{kind: relative_change, baseline_year: 2020, target_year: 2023, change: -20}", "write -0.20 for '20% lower'"),
    ("{kind: relative_change, baseline_year: 2020, target_year: 2023, change: 20}", "must be a fraction between -1 and 1"),
    ("{kind: relative_change, baseline_year: 2020, target_year: 2023}", "needs change"),
    ("{kind: below_baseline, baseline_year: 2020, target_year: 2023, change: -0.2}", "does not take change"),
    ("{kind: below_baseline, baseline_year: '2020', target_year: 2023}", "baseline_year must be a year"),
])
def test_bad_rules_are_refused_with_the_fix(tmp_path, rule, message):
    with pytest.raises(IvbError, match=re.escape(message)):
        _policy(tmp_path, PART + f"  rule: {rule}\n")


def test_duplicate_id_unknown_indicator_and_yaml_syntax(tmp_path):
    ok_rule = "  rule: {kind: below_baseline, baseline_year: 2018, target_year: 2023}\n"
    with pytest.raises(IvbError, match="id is used twice"):
        _policy(tmp_path, PART + ok_rule + PART + ok_rule)
    with pytest.raises(IvbError, match="unknown indicator 'accidents'"):
        _policy(tmp_path, PART.replace("traffic_accidents", "accidents") + ok_rule)
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: {id: t\nthemes: [", encoding="utf-8")
    with pytest.raises(IvbError, match=r"bad.yaml:\d+:\d+: YAML syntax error"):
        load_policy(bad, load_indicators(DATA / "indicators.yaml"))


def test_threshold_outside_mark_scale_is_refused(tmp_path):
    part = PART.replace("traffic_accidents", "traffic_safety_mark") + "  rule: {kind: at_least, threshold: 75, target_year: 2023}\n"
    with pytest.raises(IvbError, match="outside 1–10"):
        _policy(tmp_path, part)


def test_adding_a_target_needs_no_code_change(tmp_path):
    pol = _policy(tmp_path, PART.replace("id: a", "id: nieuw-doel")
                  + "  rule: {kind: relative_change, baseline_year: 2020, target_year: 2023, change: -0.1}\n")
    assert pol.measurable_ids() == ["nieuw-doel"] and pol.parts[0].rule.change == -0.1


def test_an_upper_limit_reads_as_one_and_a_capped_rise_is_accepted(tmp_path):
    """A relative change is an upper limit: value <= baseline x (1 + change). A positive change
    reads 'ten hoogste 1,1 keer', never 'minstens … hoger', and is accepted only where the
    target's own words allow a limited rise ('hooguit … meer')."""
    rule = "  rule: {kind: relative_change, baseline_year: 2020, target_year: 2023, change: %s}\n"
    capped = PART.replace("title: A", "title: Ongevallen hooguit 10% meer").replace(
        "quote: q", "quote: Het aantal ongevallen neemt met hooguit 10% toe.")
    pol = _policy(tmp_path, capped + rule % "0.1")
    assert pol.parts[0].rule.describe_nl() == "in 2023 ten hoogste 1,1 keer het niveau van 2020 (hooguit 10% hoger)"
    assert _policy(tmp_path, PART + rule % "-0.2").parts[0].rule.describe_nl() == "in 2023 minstens 20% lager dan in 2020"
    # a positive change with nothing that allows a rise: refused, naming the better direction
    with pytest.raises(IvbError, match="lower is better for traffic_accidents"):
        _policy(tmp_path, PART + rule % "0.1")
    # words and sign disagree, either way round
    lower = PART.replace("title: A", "title: Ongevallen 20% lager")
    with pytest.raises(IvbError, match=re.escape("allows a rise of up to 20% (ten hoogste 1.2 keer het basisjaar), "
                                                 "but the target says 'lager'")):
        _policy(tmp_path, lower + rule % "0.2")
    higher = PART.replace("quote: q", "quote: Het aantal is 20% hoger").replace("traffic_accidents", "traffic_safety_mark")
    with pytest.raises(IvbError, match="compares counts"):   # a mark cannot take a relative change at all
        _policy(tmp_path, higher + rule % "-0.2")
    higher = PART.replace("quote: q", "quote: Het aantal is in 2023 20% hoger")
    with pytest.raises(IvbError, match="demands a fall of at least 20%, but the target says 'hoger'"):
        _policy(tmp_path, higher + rule % "-0.2")
