"""environment.yml and pyproject.toml list the same dependencies."""
import re
import tomllib

import yaml

from conftest import ROOT


def _norm(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_norm(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries = [s for s in env["dependencies"] if isinstance(s, str) and not s.startswith(("python", "pip"))]
    for d in env["dependencies"]:
        if isinstance(d, dict):
            entries += [s for s in d.get("pip", []) if not s.startswith("-e")]
    listed = dict(_norm(s) for s in entries)
    assert listed == wanted


def test_runtime_dependencies_include_the_users_choices():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_norm(s)[0] for s in project["dependencies"]}
    assert {"jupyterlab", "pandas", "seaborn", "statsmodels", "papermill"} <= names
