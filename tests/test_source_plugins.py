"""Sources as plug-ins (issue #30): a kind of source is one class registered by its data/live.yaml
section; the fetch runs every source the file names through the same interface, for the areas of
a fetch or for the whole panel, and fails an unknown section with one line."""
from __future__ import annotations

import pytest
import yaml

from ivbtools.errors import IvbError
from ivbtools.live import fetch as fetch_mod
from ivbtools.live.bron_source import BronSource
from ivbtools.live.fetchrun import Outcome
from ivbtools.live.odata_source import OdataSource

from conftest import copy_project_data


class SurveyTable:
    """A made-up kind of source (e.g. a survey table): what a new plug-in has to provide."""
    calls: list = []

    def __init__(self, key: str):
        self.key, self.indicator_ids = key, ["crimes_total"]

    @classmethod
    def from_config(cls, section):
        return [cls(d["key"]) for d in section]

    def fetch(self, run, areas, budget):
        SurveyTable.calls.append(("fetch", self.key, tuple(areas)))
        run.report.outcomes += [Outcome(self.key, a, True, "made-up: nothing downloaded") for a in areas]

    def fetch_panel(self, run, budget):
        SurveyTable.calls.append(("panel", self.key))
        raise IvbError(f"{self.key}: no panel for this kind")


def test_the_project_sources_are_the_two_kinds_of_live_yaml():
    cfg = yaml.safe_load(open("data/live.yaml", encoding="utf-8"))
    sources = fetch_mod.sources_of(cfg)
    assert set(fetch_mod.SOURCE_KINDS) == {"odata", "bron"}
    assert [type(s) for s in sources] == [OdataSource] * len(cfg["odata"]) + [BronSource]
    assert [s.key for s in sources] == [d["key"] for d in cfg["odata"]] + ["bron"]
    with pytest.raises(IvbError, match=r"unknown source kind\(s\) odata_v4 — known: odata, bron"):
        fetch_mod.sources_of({**cfg, "odata_v4": []})


def test_a_new_kind_of_source_is_one_class_and_one_entry(tmp_path, monkeypatch):
    data = copy_project_data(tmp_path / "data")
    (data / "live.yaml").write_text(yaml.safe_dump({"survey": [{"key": "survey-a"}, {"key": "survey-b"}]}),
                                    encoding="utf-8")
    monkeypatch.setitem(fetch_mod.SOURCE_KINDS, "survey", SurveyTable)
    SurveyTable.calls = []
    rep = fetch_mod.fetch(data, ["GM1969"], quiet=True)
    assert SurveyTable.calls == [("fetch", "survey-a", ("GM1969", "NL01")), ("fetch", "survey-b", ("GM1969", "NL01"))]
    assert [(o.source, o.area, o.ok) for o in rep.outcomes] == [("survey-a", "GM1969", True), ("survey-a", "NL01", True),
                                                               ("survey-b", "GM1969", True), ("survey-b", "NL01", True)]
    assert rep.indicators == {"survey-a": ["crimes_total"], "survey-b": ["crimes_total"]}
    # the panel through the same interface; a source that fails fails alone, with its one line
    panel = fetch_mod.fetch_panel(data, quiet=True, only={"survey-b"})
    assert SurveyTable.calls[-1] == ("panel", "survey-b")
    assert [(o.source, o.ok) for o in panel.failed] == [("survey-b", False)]
    assert "no panel for this kind (cache kept)" in panel.failed[0].message
