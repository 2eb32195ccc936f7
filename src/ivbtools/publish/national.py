"""outputs/national/<year>/: every municipality against the policy's targets (national.csv,
national.parquet, verdicts.png, index.html), published as one staged set with its freshness
record: an unchanged table is not worked out again."""
from __future__ import annotations

from pathlib import Path

from ..data.dataset import Dataset
from ..present.pages import national_files
from ..verdict.alltable import evaluate_all
from .inputs import national_digest
from .staged import StagedSet, made_at, up_to_date

FILES = ("national.csv", "national.parquet", "verdicts.png", "index.html")


def national_folder(out_dir: Path, year: int) -> Path:
    return Path(out_dir) / "national" / str(year)


def publish_national(ds: Dataset, year: int, out_dir, force: bool = False) -> dict:
    """Returns {"folder", "written", "rows", "municipalities", "parts"}; `written` False when the set in
    place was made from the same figures, code and policy (`force` writes it again)."""
    folder = national_folder(Path(out_dir), year)
    inputs = national_digest(ds, year)
    if not force and up_to_date(folder, inputs, FILES):
        return {"folder": folder, "written": False, "rows": 0, "municipalities": 0, "parts": 0}
    table = evaluate_all(ds, year)
    with StagedSet(Path(out_dir), folder, "national") as s:
        for name, data in national_files(ds, year, table, made_at()).items():
            s.data(name, data)
        s.publish(inputs)
    return {"folder": folder, "written": True, "rows": len(table), "municipalities": table.gemeente.nunique(),
            "parts": table.doel_id.nunique()}
