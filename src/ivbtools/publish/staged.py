"""One way to publish a set of files: write them into a staging folder inside the output folder
(where a full disk or a failure shows up before anything is replaced), then rename each into
place, the freshness record emptied first and written last, so a set cut off halfway is never
taken for up to date. One clock for "made at" (`made_at`)."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from .. import atomic

INPUTS = ".inputs"   # a product's freshness record: the digest of what it was made from (inputs.py)


def made_at() -> str:
    """The time a product is made, as every page and record states it (ISO 8601, local time, seconds)."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def up_to_date(folder: Path, inputs: str, files: tuple[str, ...]) -> bool:
    """The set in `folder` is whole and its freshness record holds these inputs."""
    try:
        return bool(inputs) and (Path(folder) / INPUTS).read_text(encoding="utf-8").strip() == inputs \
            and all((Path(folder) / f).is_file() for f in files)
    except OSError:
        return False


class StagedSet:
    """The files of one product for one folder `dest`, staged in `out_dir` and published together.

        with StagedSet(out_dir, dest, "monitor") as s:
            s.text("index.html", page)
            s.publish(inputs=digest)       # nothing in dest changes before this line

    Files already written into the staging folder (a notebook run's output) join with `add`; a file
    can go to a path below `dest` (`_failed/x.ipynb`). Leaving the block without `publish` leaves
    `dest` as it was; the staging folder is removed either way (unless the caller owns it)."""

    def __init__(self, out_dir: Path, dest: Path, kind: str, stage: Path | None = None):
        out_dir = Path(out_dir)
        self.dest = Path(dest)
        self._own = stage is None
        if self._own:   # a stage given by the caller (a batch's) was made in a folder already checked
            atomic.check_writable(out_dir)
        self.stage = Path(tempfile.mkdtemp(prefix=f".staging-{kind}-", dir=out_dir)) if stage is None else Path(stage)
        self.stage.mkdir(parents=True, exist_ok=True)
        self._moves: list[tuple[Path, Path]] = []

    def text(self, name: str, text: str) -> None:
        atomic.write_text(self.stage / name, text)
        self._moves.append((self.stage / name, self.dest / name))

    def data(self, name: str, data: bytes) -> None:
        atomic.write_bytes(self.stage / name, data)
        self._moves.append((self.stage / name, self.dest / name))

    def add(self, staged: Path, name: str) -> None:
        """A file already in the staging folder, published as dest/name."""
        self._moves.append((Path(staged), self.dest / name))

    @property
    def names(self) -> list[str]:
        return [str(t.relative_to(self.dest)) for _, t in self._moves]

    def publish(self, inputs: str | None = None) -> Path:
        """Rename every staged file into place (renames only: no new disk space needed from here
        on); with `inputs`, the freshness record is emptied first and written last."""
        record = self.dest / INPUTS
        if inputs is not None:
            atomic.write_text(self.stage / INPUTS, inputs)
            if record.exists():
                atomic.write_text(record, "")
        for src, target in self._moves:
            atomic.move_into_place(src, target)
        if inputs is not None:
            atomic.move_into_place(self.stage / INPUTS, record)
        self._moves = []
        return self.dest

    def close(self) -> None:
        if self._own:
            atomic.remove_tree(self.stage)

    def __enter__(self) -> StagedSet:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
