"""outputs/index.html: the overview of what is published (present/pages.py overview_html), replaced
after every product that changes what it shows."""
from __future__ import annotations

from pathlib import Path

from ..present.pages import overview_html
from .staged import StagedSet, made_at


def publish_overview(out_dir: Path, own_municipality: str) -> Path:
    out_dir = Path(out_dir)
    with StagedSet(out_dir, out_dir, "overview") as s:
        s.text("index.html", overview_html(out_dir, own_municipality, made_at()))
        s.publish()
    return out_dir / "index.html"
