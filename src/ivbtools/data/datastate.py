"""One consistent data state per batch: a frozen copy of the data folder that every report reads.

`ivb fetch --refresh` while `ivb run` runs must change the next run, not this one: otherwise
one published year could hold a scorecard and reports built from different figures. So a batch
first freezes what a load reads — the registries, targets, snapshot, code list, peer rule,
analyst files and the cache's index, extracts, source entries and fetch log — into a folder of
its own, with hard links where the file system allows (a fetch replaces files by renaming new
ones into place, so a link keeps the old content) and copies elsewhere. Raw downloads are not
read by a load and are left out. Every notebook and the scorecard then read that folder.

For a Dask cluster on other machines the frozen folder travels as one compressed archive and is
unpacked once per worker machine (`unpack`), so the workers need no data folder of their own.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from .. import atomic
from .cache import LOG
from .embedded import EMBEDDED_MARKER, embedded_only

SKIP_IN_CACHE = ("raw", "retired")


def _wanted(rel: Path) -> bool:
    parts = rel.parts
    if parts and parts[0].startswith("."):
        return False
    if len(parts) >= 2 and parts[0] == "cache" and (parts[1] in SKIP_IN_CACHE or parts[1].startswith(".")):
        return False
    return True


def freeze(data_dir: Path, dest: Path) -> Path:
    """A frozen copy of `data_dir` at `dest` (which must not exist). A folder whose user layers
    are ignored (IVB_EMBEDDED_ONLY) is frozen without them, and marked so that reports say so."""
    data_dir, dest = Path(data_dir).resolve(), Path(dest)
    skip_user = embedded_only(data_dir)
    dest.mkdir(parents=True)
    for p in sorted(data_dir.rglob("*")):
        rel = p.relative_to(data_dir)
        if not _wanted(rel) or (skip_user and rel.parts[0] in ("local", "cache", LOG)):
            continue
        target = dest / rel
        if p.is_dir() and not p.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
            continue
        if not p.is_file():
            continue   # a dangling link: the load of the original reports it; the copy leaves it out
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(p, target)
        except OSError:
            shutil.copy2(p, target)
    if skip_user:
        (dest / EMBEDDED_MARKER).write_text("frozen from a folder whose data/local and cache were ignored\n")
    return dest


def state_digest(folder: Path) -> str:
    """sha256 over every file of a frozen folder (names and contents)."""
    h = hashlib.sha256()
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + b"\0")
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def pack(folder: Path) -> bytes:
    """The frozen folder as one gzip-compressed tar archive."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(str(folder), arcname="data")
    return buf.getvalue()


def unpack(blob: bytes, digest: str, root: Path | None = None) -> Path:
    """The archive unpacked into <tmp>/ivb-data-<digest>/data (once per machine and state; a
    folder that is already there is reused), renamed into place when complete."""
    base = Path(root or tempfile.gettempdir()) / f"ivb-data-{digest[:16]}"
    if (base / "data" / "indicators.yaml").is_file():
        return base / "data"
    work = Path(tempfile.mkdtemp(prefix=".ivb-data-", dir=base.parent))
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        tar.extractall(work, filter="data")
    try:
        os.rename(work, base)
    except OSError:   # another worker on this machine was faster
        atomic.remove_tree(work)
    return base / "data"
