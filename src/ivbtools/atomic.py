"""Atomic file writes: a temporary name in the same folder, fsync, then rename into place.

A failed or interrupted write never leaves a half file and never replaces the previous one.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from .errors import IvbError


def _fail(path: Path, exc: OSError) -> IvbError:
    if exc.errno == errno.ENOSPC:
        return IvbError(f"disk full while writing {path} — free some space and run again; the previous file is unchanged")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return IvbError(f"cannot write {path} (permission denied) — choose a writable --output folder")
    return IvbError(f"cannot write {path} ({exc.strerror}) — the previous file is unchanged")


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _fail(path, exc) from None


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def move_into_place(src: Path, dest: Path) -> None:
    """Rename a finished file from a staging folder (same file system) over its destination."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno == errno.EXDEV:  # staging on another device: copy to a temp name, then rename
            write_bytes(dest, Path(src).read_bytes())
            return
        raise _fail(dest, exc) from None


def check_writable(folder: Path, what: str = "output folder", other: str = "or pass --output DIR") -> None:
    """One line when `folder` (or a folder above it) is a file, or cannot be written."""
    folder = Path(folder)
    for p in [folder, *folder.parents]:
        if p.exists() and not p.is_dir():
            raise IvbError(f"{what} {folder}: {p} is a file, not a folder — rename or remove it, {other}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise IvbError(f"{what} {folder} is not writable ({exc.strerror}) — fix its permissions, {other}") from None


def remove_tree(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
