"""Providers of observations. Each returns validated rows in the tidy format with provenance.

A provider has a `layer` ("local", "cache" or "snapshot") that sets its precedence. Live
downloads (police open data, CBS, BRON) are one more provider writing to the cache layer.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import IvbError
from ..yamlio import read_yaml
from .embedded import EMBEDDED_MARKER, EMBEDDED_ONLY, embedded_only  # noqa: F401  (re-exported)
from .observations import read_observation_csv, read_panel_csv
from .registry import Indicator, Source


@dataclass
class CsvFolderProvider:
    """Every `*.csv` in a folder, validated line by line."""

    folder: Path
    layer: str

    def describe(self) -> str:
        return f"{self.layer}: {self.folder}"

    def files(self) -> list[Path]:
        folder = Path(self.folder)
        if folder.is_symlink() and not folder.is_dir():
            raise IvbError(f"{folder}: a symbolic link that leads nowhere (a loop, or its target is gone) — "
                           f"replace it with a folder or a link to one")
        try:
            entries = sorted(folder.iterdir()) if folder.is_dir() else []
        except OSError as exc:
            raise IvbError(f"{folder}: the folder cannot be read ({exc.strerror}) — check its permissions") from None
        if self.layer == "local":
            for p in entries:
                if p.is_symlink() and not p.exists():
                    try:
                        target = os.readlink(p)
                    except OSError:
                        target = "?"
                    raise IvbError(f"{p}: a symbolic link that leads nowhere (to {target}: gone, not mounted, or a "
                                   f"loop) — mount or restore its target, or remove the link from data/local/")
                if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in (".csv", ".md", ".yaml", ".example"):
                    raise IvbError(f"{p}: only .csv files are read in data/local/ — save the sheet as CSV (UTF-8), "
                                   f"or move the file out of data/local/")
                if p.is_file() and p.suffix == ".yaml" and p.name != "sources.yaml":
                    raise IvbError(f"{p}: the only YAML file read in data/local/ is sources.yaml — rename or move it")
        return [p for p in entries if p.is_file() and p.suffix.lower() == ".csv"]

    def observations(self, indicators: dict[str, Indicator], sources: dict[str, Source],
                     municipalities=None) -> list[pd.DataFrame]:
        return [read_observation_csv(p, indicators, sources, self.layer, municipalities) for p in self.files()]


@dataclass
class CacheProvider:
    """The extracts that data/cache/index.json names, each checked against its sha256; damaged
    entries are left out and reported in `warnings` (one line each, naming the file and the fix).
    The all-municipality extracts (`ivb fetch --all-municipalities`) form the "panel" layer."""

    data_dir: Path
    layer: str = "cache"

    def __post_init__(self):
        from .cache import Cache

        self.cache = Cache(self.data_dir)
        self._files, self.warnings = self.cache.usable_extracts()

    def describe(self) -> str:
        return f"{self.layer}: {self.cache.root}"

    def files(self) -> list[Path]:
        return self._files

    def months(self, indicators: dict[str, Indicator], sources: dict[str, Source]) -> list[pd.DataFrame]:
        """The verified monthly extracts (data/cache/months/); a damaged one is left out with a line."""
        from .months import read_months_csv

        files, problems = self.cache.usable_months()
        self.warnings += problems
        out = []
        for p in files:
            try:
                out.append(read_months_csv(p, indicators, sources))
            except IvbError as exc:
                self.warnings.append(str(exc))
        return out

    def observations(self, indicators: dict[str, Indicator], sources: dict[str, Source],
                     municipalities=None) -> list[pd.DataFrame]:
        out = []
        for p in self._files:
            try:
                if self.cache.is_panel_extract(p):
                    out.append(read_panel_csv(p, indicators, sources, municipalities))
                else:
                    out.append(read_observation_csv(p, indicators, sources, self.layer, municipalities))
            except IvbError as exc:
                self.warnings.append(f"{exc} — run `ivb fetch --refresh`; this entry is not used until then")
        return out


def snapshot_folder(data_dir: Path) -> tuple[Path, str]:
    """The newest embedded snapshot version (data/snapshot/vN/), checked against its manifest."""
    base = Path(data_dir) / "snapshot"
    versions = sorted((p for p in base.glob("v*") if p.is_dir() and p.name[1:].isdigit()),
                      key=lambda p: int(p.name[1:]))
    if not versions:
        raise IvbError(f"{base}: no snapshot found — the data folder must hold snapshot/v1/ (is --data pointing at the project's data/?)")
    folder = versions[-1]
    manifest = read_yaml(folder / "MANIFEST.yaml") or {}
    listed = {f["name"] for f in manifest.get("files", [])}
    present = {p.name for p in folder.glob("*.csv")}
    if listed != present:
        raise IvbError(f"{folder}: files {sorted(present ^ listed)} differ from MANIFEST.yaml — the snapshot is "
                       f"immutable; put new figures in data/local/")
    return folder, str(manifest.get("version", folder.name))


def default_providers(data_dir: Path) -> list:
    """data/local, then the download cache, then the snapshot (only the snapshot when
    `embedded_only` holds for this folder)."""
    data_dir = Path(data_dir)
    snap, _ = snapshot_folder(data_dir)
    if embedded_only(data_dir):
        return [CsvFolderProvider(snap, "snapshot")]
    providers = [CsvFolderProvider(data_dir / "local", "local"), CsvFolderProvider(snap, "snapshot")]
    if (data_dir / "cache").is_dir():
        providers.insert(1, CacheProvider(data_dir))
    return providers
