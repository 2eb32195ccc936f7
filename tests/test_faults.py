"""Nothing lost: atomic writes under a full disk, and a property test of the loader."""
from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import ivbtools
from ivbtools import IvbError, atomic
from ivbtools.batch import run as batch

from conftest import DATA, TEST_SOURCE


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_keeps_the_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_text("previous good")
    monkeypatch.setattr(os, "fsync", _enospc)
    with pytest.raises(IvbError, match="disk full while writing .*report.html — free some space"):
        atomic.write_text(target, "new")
    assert target.read_text() == "previous good"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_full_disk_during_publishing_changes_no_published_file(tmp_path, monkeypatch, ds):
    """A batch whose scorecard cannot be written publishes nothing of that year."""
    out = tmp_path / "out"
    (out / "2022").mkdir(parents=True)
    (out / "2022" / "sociaal-verward-gedrag.html").write_text("previous good")

    from conftest import FakeExecutor

    real_write = atomic.write_text

    def write_text(path, text):
        if Path(path).name == "scorecard.json":
            raise atomic._fail(Path(path), OSError(errno.ENOSPC, "No space left on device"))
        return real_write(path, text)

    monkeypatch.setattr(atomic, "write_text", write_text)
    with pytest.raises(IvbError, match="disk full"):
        batch.run_batch(ds, [2022], "GM1969", DATA, DATA.parent / "notebooks", out, jobs=1, quiet=True,
                        executor=FakeExecutor())
    assert sorted(p.name for p in (out / "2022").iterdir()) == ["sociaal-verward-gedrag.html"]
    assert (out / "2022" / "sociaal-verward-gedrag.html").read_text() == "previous good"
    assert not list(out.glob(".staging-*"))


INDICATORS = ["traffic_accidents", "burglary_home", "youth_nuisance_e35"]
EVENTS = set(INDICATORS)   # every one a count of events (better: lower): its current year is not over
BAD_VALUES = ["12,5", "n.v.t.", "", "-3", "1e9", "1.234", "abc", "7.0", "2000000"]
cell = st.one_of(st.integers(0, 999_999).map(str), st.sampled_from(BAD_VALUES))
row = st.tuples(st.sampled_from(INDICATORS + ["bogus"]), st.integers(1985, 2030), cell)


def _ceiling(data: Path, indicator: str, year: int) -> float:
    """The largest plausible local count (the loader's rule, computed here from the data without
    the analyst's file): Westerkwartier's population of the nearest year with one, and the
    national figure of the same year where there is one."""
    import math

    t = _base_table(str(data))
    pop = t[(t.indicator == "population") & (t.area_code == "GM1969")]
    limit = math.inf
    if not pop.empty:
        limit = float(pop.iloc[(pop.year - year).abs().argsort()].iloc[0].value)
    nat = t[(t.indicator == indicator) & (t.area_code == "NL01") & (t.year == year)]
    return min(limit, float(nat.value.iloc[0])) if not nat.empty else limit


_BASE: dict = {}


def _base_table(data: str):
    """The chosen figures of the data folder without the analyst's file (loaded once per folder)."""
    if data not in _BASE:
        _BASE[data] = ivbtools.load(data).observations.table
    return _BASE[data]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=8))
@example(rows=[("burglary_home", 2017, "49210")])   # one more than the national figure: found by Hypothesis
@example(rows=[("burglary_home", 2017, "49209")])   # exactly the national figure: loads
def test_loader_loads_exactly_the_valid_values_or_refuses(data_copy, rows):
    """Random tables: either every value arrives unchanged, or a clear error names the first bad line."""
    (data_copy / "local" / "sources.yaml").write_text(TEST_SOURCE, encoding="utf-8")
    (data_copy / "local" / "p.csv").unlink(missing_ok=True)   # an earlier example's file
    _base_table(str(data_copy))
    lines = ["indicator,area_code,area_name,year,value,source_id"]
    quote = lambda v: f'"{v}"' if "," in v else v  # noqa: E731
    lines += [f"{i},GM1969,Westerkwartier,{y},{quote(v)},test-fixture" for i, y, v in rows]
    (data_copy / "local" / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    first_bad, seen = None, {}
    this_year = __import__("datetime").date.today().year
    for n, (i, y, v) in enumerate(rows, start=2):
        # an event count for the year not over yet is refused too (it would be compared as a whole year)
        ok = (i in INDICATORS and 1990 <= y <= this_year and v.isdigit() and int(v) <= 1_000_000
              and (i, y) not in seen and not (y == this_year and i in EVENTS))
        if not ok:
            first_bad = n
            break
        seen[(i, y)] = int(v)
    if first_bad is not None:
        with pytest.raises(IvbError) as err:
            ivbtools.load(data_copy)
        assert f"p.csv:{first_bad}: " in str(err.value) and "\n" not in str(err.value)
        return
    # every line is well-formed; a count larger than the municipality's population (nearest year)
    # or than the national figure of its year is refused as implausible, naming its line
    too_big = [n for n, (i, y, v) in enumerate(rows, start=2) if int(v) > _ceiling(data_copy, i, y)]
    if too_big:
        with pytest.raises(IvbError) as err:
            ivbtools.load(data_copy)
        assert f"p.csv:{too_big[0]}: " in str(err.value) and "typing error" in str(err.value)
        return
    ds = ivbtools.load(data_copy)
    for (i, y), v in seen.items():
        got = ds.observations.get(i, "GM1969", y)
        assert (got.value, got.source_id) == (v, "test-fixture")
