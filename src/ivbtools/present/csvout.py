"""CSV files for Dutch spreadsheets: `;` between fields, decimal commas, ja/nee instead of
True/False, no scientific notation, and a byte-order mark so that Excel reads UTF-8 (ë, –, ≤).
Dutch Excel opens such a file in columns with a double click; a `,`-separated file with decimal
points lands in one column."""
from __future__ import annotations

import math

import pandas as pd

BOM = "\ufeff"
# a text cell starting with one of these is a formula to Excel and LibreOffice; a quote in front keeps
# it text (OWASP, CSV injection). Titles and quotes from outside files reach these tables.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(v) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, bool):
        return "ja" if v else "nee"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if math.isinf(v):
            return "oneindig" if v > 0 else "-oneindig"
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        text = f"{v:.10f}".rstrip("0").rstrip(".")   # never 1e-05: a spreadsheet reads it as text
        return text.replace(".", ",")
    if hasattr(v, "item"):   # numpy scalars
        return _cell(v.item())
    text = str(v)
    if text[:1] in FORMULA_START:   # a spreadsheet would evaluate it (formula injection): keep it text
        return "'" + text
    return text


def nl_csv(table: pd.DataFrame) -> str:
    """The table as a Dutch CSV text (with BOM)."""
    out = table.astype(object).map(_cell) if not table.empty else table.astype(object)
    return BOM + out.to_csv(sep=";", index=False, lineterminator="\r\n")
