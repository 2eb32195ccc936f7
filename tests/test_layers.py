"""The house in layers (issue #17): imports only run downward, one rule module, views shared per
data state, the code digest covers every subpackage, breaks honoured by the panel tau."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import numpy as np

import ivbtools
from ivbtools.data.targets import Rule
from ivbtools.panel import view as panel_view
from ivbtools.publish.inputs import PACKAGE, code_digest
from ivbtools.verdict import rules

from conftest import copy_project_data

# lowest first; a module may import its own layer and the ones before it
LAYERS = ["ground", "data", "live", "panel", "verdict", "present", "publish", "draft", "batch", "top"]
GROUND = {"errors", "fmt", "atomic", "stats", "yamlio", "ids"}


def layer_of(module: str) -> str:
    parts = module.split(".")
    assert parts[0] == "ivbtools", module
    if len(parts) == 1 or parts[1] == "__init__":
        return "top"
    if parts[1] in GROUND:
        return "ground"
    if parts[1] == "cli":
        return "top"
    return parts[1]


def imports_of(path: Path, package: Path = PACKAGE) -> list[str]:
    """Every ivbtools module a file imports, at any depth of the file (function-level too)."""
    rel = path.relative_to(package.parent).with_suffix("")
    here = list(rel.parts) if rel.name != "__init__" else list(rel.parts[:-1])
    package_parts = here[:-1] if rel.name != "__init__" else here
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[:len(package_parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("ivbtools"):
                out.append(mod)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("ivbtools")]
    return out


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Every import in the package (a folder named ivbtools) that runs up a layer, one line each."""
    wrong = []
    for p in sorted(package.rglob("*.py")):
        mod = ".".join(p.relative_to(package.parent).with_suffix("").parts)
        mine = LAYERS.index(layer_of(mod))
        for imp in imports_of(p, package):
            if imp == "ivbtools":
                continue
            if LAYERS.index(layer_of(imp)) > mine:
                wrong.append(f"{mod} ({layer_of(mod)}) imports {imp} ({layer_of(imp)})")
    return wrong


def test_every_import_runs_downward():
    assert len(list(PACKAGE.rglob("*.py"))) > 40
    wrong = upward_imports()
    assert not wrong, "\n".join(wrong)


def test_the_layer_check_catches_an_upward_import(tmp_path):
    """The check itself can fail: a copy of the package with one planted upward import (data ->
    verdict, relative, inside a function) and one absolute (live -> present) is caught, both and only."""
    copy = tmp_path / "ivbtools"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert upward_imports(copy) == []
    (copy / "data" / "planted.py").write_text("def f():\n    from ..verdict import rules\n    return rules\n")
    (copy / "live" / "planted.py").write_text("import ivbtools.present.report\n")
    assert upward_imports(copy) == ["ivbtools.data.planted (data) imports ivbtools.verdict (verdict)",
                                    "ivbtools.live.planted (live) imports ivbtools.present.report (present)"]
    assert layer_of("ivbtools.stats") == "ground" and layer_of("ivbtools.cli") == "top"


def test_met_is_defined_once_and_agrees_scalar_and_vectorised():
    """0,8 × 360 = 288: 288 meets 'at most', 289 does not; 'below 75': 74 meets, 75 does not;
    the same answers from arrays (the all-municipality table) as from scalars (one report)."""
    rel = Rule(kind="relative_change", target_year=2023, baseline_year=2020, change=-0.2)
    below = Rule(kind="below_baseline", target_year=2023, baseline_year=2017)
    assert rules.meets(rel, 288, 360, 0.8) and not rules.meets(rel, 289, 360, 0.8)
    assert rules.meets(below, 74, 75, 1.0) and not rules.meets(below, 75, 75, 1.0)
    obs, base = np.array([288, 289, 74, 75]), np.array([360, 360, 75, 75])
    assert rules.meets(rel, obs[:2], base[:2], 0.8).tolist() == [True, False]
    assert rules.meets(below, obs[2:], base[2:], 1.0).tolist() == [True, False]
    assert rules.allowed_count(rel, 288.0) == 288 and rules.allowed_count(below, 75.0) == 74
    # no second definition of the met statuses anywhere in the package
    defs = [p for p in PACKAGE.rglob("*.py") if 'MET = {"gehaald"' in p.read_text() or "MET = frozenset" in p.read_text()]
    assert [p.name for p in defs] == ["rules.py"]


def test_reports_on_one_data_state_share_their_views(tmp_path):
    data = copy_project_data(tmp_path / "data")
    a, b = ivbtools.load(data), ivbtools.load(data)
    assert a is not b and a.state == b.state and a.state is not None
    assert panel_view.panel_view(a) is panel_view.panel_view(b)
    # a what-if gets views of its own; a changed folder is another state
    c = a.with_table(a.observations.table.iloc[:10])
    assert c.state is None and panel_view.panel_view(c) is not panel_view.panel_view(a)
    (data / "peers.yaml").write_text((data / "peers.yaml").read_text() + "\n# changed\n")
    d = ivbtools.load(data)
    assert d.state != a.state and panel_view.panel_view(d) is not panel_view.panel_view(a)


def test_a_copy_is_independent_of_the_loaded_original(tmp_path):
    """Copies share tables copy-on-write: changing one never changes the next load."""
    data = copy_project_data(tmp_path / "data")
    a = ivbtools.load(data)
    n = len(a.observations.table)
    a.observations.table.loc[a.observations.table.index[0], "value"] = -1.0
    a.observations.table.drop(a.observations.table.index[:5], inplace=True)
    b = ivbtools.load(data)
    assert len(b.observations.table) == n and b.observations.table.value.iloc[0] != -1.0
    # the changed copy's own lookups follow its table (its index is built again)
    t = a.observations.table
    r = t.iloc[0]
    assert a.observations.get(r.indicator, r.area_code, r.year).value == r.value
    assert len(a.observations.series(r.indicator, r.area_code)) == ((t.indicator == r.indicator) & (t.area_code == r.area_code)).sum()


def test_the_code_digest_covers_every_subpackage(tmp_path):
    copy = tmp_path / "ivbtools"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_digest(copy)
    code_digest.cache_clear()
    assert code_digest(copy) == before   # deterministic
    rules_file = copy / "verdict" / "rules.py"
    rules_file.write_text(rules_file.read_text() + "\n# a change deep in a subpackage\n")
    code_digest.cache_clear()
    assert code_digest(copy) != before


def test_dates_are_written_in_dutch():
    from ivbtools.fmt import nl_datetime

    assert nl_datetime("2026-12-02T21:05:13+01:00") == "2 december 2026, 21.05 uur"
    assert nl_datetime("2024-03-01") == "1 maart 2024"
    assert nl_datetime("") == "–" and nl_datetime("gisteren") == "gisteren"
