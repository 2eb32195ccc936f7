"""Sources named in one line (issue #29 row 6): the yearly files of one publication (BRON 2017,
BRON 2018, …) become one entry with their span — "Rijkswaterstaat, BRON verkeersongevallen
2017–2025, geteld per gemeente en jaar (opgehaald 2 december 2026)"; the per-file detail stays in
the analysts' part and in the data folder's source list."""
from __future__ import annotations

import re

from ..fmt import nl_date

_YEARS = re.compile(r"\b((?:19|20)\d\d)(?:\s*[-–]\s*((?:19|20)\d\d))?\b")
_FILE = re.compile(r"\s*\([^()]*\.(?:zip|csv|xlsx?)\)")


def source_entries(ds, ids) -> list[str]:
    """One Dutch entry per publication: publisher, title (years joined into a span), retrieval date
    (the latest of the group)."""
    groups: dict[tuple[str, str], dict] = {}
    for sid in sorted(set(ids)):
        src = ds.sources.get(sid)
        if src is None:
            continue
        title = _FILE.sub("", src.title_nl)
        years = [int(y) for m in _YEARS.finditer(title) for y in m.groups() if y]
        key = (src.publisher, _YEARS.sub("{}", title, count=1) if years else title)
        g = groups.setdefault(key, {"years": [], "retrieved": []})
        g["years"] += years
        g["retrieved"].append(str(src.retrieved))
    out = []
    for (publisher, title), g in groups.items():
        if "{}" in title:
            lo, hi = min(g["years"]), max(g["years"])
            title = title.replace("{}", str(lo) if lo == hi else f"{lo}–{hi}")
        out.append(f"{publisher}, {title} (opgehaald {nl_date(max(g['retrieved']))})")
    return out
