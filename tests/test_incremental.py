"""Incremental batches: a report reruns exactly when one of its inputs changed.

The notebooks are not executed here (FakeExecutor writes stand-in files and records which jobs
it was given); what is tested is the decision which reports are up to date."""
from __future__ import annotations

import json
import shutil

import pytest

import ivbtools
from ivbtools.batch import run as batch
from ivbtools.publish import inputs

from conftest import ROOT, FakeExecutor, add_local

TRAFFIC = {"verkeer-ongevallen", "verkeer-slachtoffers", "verkeer-rapportcijfer"}


@pytest.fixture
def world(data_copy, tmp_path):
    nbs = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", nbs)
    return data_copy, nbs, tmp_path / "out"


def run(world, years=(2022, 2023), force=False, fail=()):
    data, nbs, out = world
    ex = FakeExecutor(fail={f"GM1969/{k}" for k in fail})
    res = batch.run_batch(ivbtools.load(data), list(years), "GM1969", data, nbs, out, quiet=True, force=force, executor=ex)
    ran = [k.split("/", 1)[1] for k in ex.ran]   # keys are municipality/year/report
    return {k.split("/")[1] for k in ran} if len(years) == 1 else set(ran), res


def test_nothing_changed_runs_nothing_and_writes_nothing(world):
    first, res = run(world)
    assert len(first) == 14 and not res.up_to_date
    before = {p: p.stat().st_mtime_ns for p in world[2].rglob("*")}
    again, res = run(world)
    assert again == set() and len(res.up_to_date) == 14 and not res.failed
    assert {p: p.stat().st_mtime_ns for p in world[2].rglob("*")} == before   # not a byte rewritten


def test_an_e35_figure_reruns_the_youth_reports_and_the_scorecards_only(world):
    run(world)
    add_local(world[0], "youth_nuisance_e35,GM1969,Westerkwartier,2023,41,test-fixture\n")
    again, _ = run(world)
    assert again == {"2022/jeugd-overlast", "2022/scorecard", "2023/jeugd-overlast", "2023/scorecard"}


def test_a_traffic_figure_reruns_the_traffic_reports_and_the_scorecards(world):
    run(world, years=[2023])
    add_local(world[0], "traffic_accidents,GM1969,Westerkwartier,2023,300,test-fixture\n")
    again, _ = run(world, years=[2023])
    assert again == {"verkeer-ongevallen", "scorecard"}
    add_local(world[0], "population,GM1969,Westerkwartier,2023,66000,test-fixture\n", name="pop.csv")
    again, _ = run(world, years=[2023])   # rates per 1,000 inhabitants appear in every target report
    assert again == {p for p in ivbtools.load(world[0]).policy.measurable_ids()} | {"scorecard"}


def test_another_municipalitys_figure_reruns_only_what_compares_with_it(world):
    # the peer section of the E33 report names which municipalities have E33 figures, and the
    # scorecard counts peers: those rerun; the other target reports do not read Groningen's E33
    run(world, years=[2022])
    add_local(world[0], "confused_person_e33,GM0014,Groningen,2022,2100,test-fixture\n")
    assert run(world, years=[2022])[0] == {"sociaal-verward-gedrag", "scorecard"}
    assert run(world, years=[2022])[0] == set()


def test_a_changed_notebook_reruns_its_reports(world):
    run(world, years=[2022])
    nb = world[1] / "target.ipynb"
    doc = json.loads(nb.read_text())
    doc["cells"][0]["source"] = doc["cells"][0]["source"] + ["\n(gewijzigd)"]
    nb.write_text(json.dumps(doc))
    assert run(world, years=[2022])[0] == set(ivbtools.load(world[0]).policy.measurable_ids())


def test_changed_code_reruns_everything(world, monkeypatch):
    run(world, years=[2022])
    monkeypatch.setattr(inputs, "code_digest", lambda: "another version of ivbtools")
    assert len(run(world, years=[2022])[0]) == 7


def test_force_a_missing_output_and_a_failed_report_rerun(world):
    run(world, years=[2022], fail={"2022/jeugd-overlast"})
    again, _ = run(world, years=[2022])
    assert again == {"jeugd-overlast"}                     # a failed report is never up to date
    (world[2] / "2022" / "verkeer-ongevallen.html").unlink()
    assert run(world, years=[2022])[0] == {"verkeer-ongevallen"}
    assert len(run(world, years=[2022], force=True)[0]) == 7


def test_a_changed_target_definition_reruns_that_target_and_the_scorecards(world):
    run(world, years=[2022])
    targets = world[0] / "targets" / "ivb-2020-2023.yaml"
    targets.write_text(targets.read_text().replace("'Verder afgenomen' gelezen als: in 2023 lager dan in 2018.",
                                                   "'Verder afgenomen' gelezen als: in 2023 lager dan in 2018 (x)."))
    assert run(world, years=[2022])[0] == {"sociaal-woninginbraak", "scorecard"}


def test_run_json_records_up_to_date_reports(world):
    run(world, years=[2022])
    add_local(world[0], "youth_nuisance_e35,GM1969,Westerkwartier,2022,41,test-fixture\n")
    run(world, years=[2022])
    parts = json.loads((world[2] / "2022" / "run.json").read_text())["parts"]
    assert all(p["status"] == "ok" and p["inputs"] for p in parts.values())
    assert parts["jeugd-overlast"]["produced_at"] and parts["verkeer-ongevallen"]["produced_at"]


def test_the_batch_loads_the_data_once_when_the_folder_did_not_change(world, monkeypatch):
    """Issue #30: `ivb run` loads the data folder once; the batch uses that data set for its own work
    (plan, digests, scorecard) when the folder is unchanged since, and loads its frozen copy only
    when a file changed in between."""
    data, nbs, out = world
    calls = []
    real = batch.load
    monkeypatch.setattr(batch, "load", lambda d: calls.append(d) or real(d))
    ds = ivbtools.load(data)
    batch.run_batch(ds, [2022], "GM1969", data, nbs, out, quiet=True, executor=FakeExecutor())
    assert calls == []
    add_local(data, "crimes_total,GM1969,Westerkwartier,2022,1234,test-fixture\n")   # a change after the load
    res = batch.run_batch(ds, [2022], "GM1969", data, nbs, out / "2", quiet=True, executor=FakeExecutor())
    assert len(calls) == 1 and calls[0].name == "data" and ".staging-" in str(calls[0])
    assert not res.failed
