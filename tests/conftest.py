"""Shared fixtures. Figures that tests add are made by hand here and exist only in tmp folders."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

import ivbtools

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"

TEST_SOURCE = textwrap.dedent("""\
    sources:
      - id: test-fixture
        kind: analyst_supplied
        publisher: ivb test suite
        title: Hand-made test figure (not a real figure)
        document: tests/conftest.py
        retrieved: 2026-11-28
""")


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of the project's data folder that a test may add local figures to."""
    dest = tmp_path / "data"
    shutil.copytree(DATA, dest, ignore=shutil.ignore_patterns("cache"))
    for f in (dest / "local").glob("*"):
        if f.name != "README.md":
            f.unlink()
    return dest


def add_local(data_dir: Path, rows: str, name: str = "test.csv", header: bool = True) -> Path:
    """Write hand-made analyst figures (source id test-fixture) into data_dir/local/."""
    (data_dir / "local" / "sources.yaml").write_text(TEST_SOURCE, encoding="utf-8")
    text = ("indicator,area_code,area_name,year,value,source_id\n" if header else "") + textwrap.dedent(rows)
    path = data_dir / "local" / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def ds():
    return ivbtools.load(DATA)


@pytest.fixture(autouse=True)
def _cache_enabled(monkeypatch):
    """The root conftest disables the download cache for nbval; unit tests use their own copies."""
    monkeypatch.delenv("IVB_NO_CACHE", raising=False)
