"""An Excel workbook (.xlsx, openpyxl) of tables for an analyst's council memo: one sheet per
table, the headers in bold and frozen, numbers as numbers (Excel shows them in the reader's own
number format), ja/nee for booleans.

Every text cell is written as text, never as a formula: a quote from a policy document or a
source title that starts with '=' (or '+', '-', '@') would otherwise be evaluated by Excel
(formula injection). openpyxl stores such a string as a formula unless told otherwise.
"""
from __future__ import annotations

import io
import math
import re

import pandas as pd

SHEET_NAME = re.compile(r"[\[\]:*?/\\]")   # characters Excel does not allow in a sheet name


def _value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, str):   # numpy scalars
        v = v.item()
    if isinstance(v, bool):
        return "ja" if v else "nee"
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None if math.isnan(v) else ("oneindig" if v > 0 else "-oneindig")
    if isinstance(v, (int, float)):
        return v
    return str(v)


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The tables as one workbook, a sheet per table in the order given (names cut to Excel's 31
    characters, without the characters it forbids)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, table in sheets.items():
        ws = wb.create_sheet(SHEET_NAME.sub(" ", str(name))[:31] or "blad")
        header = [str(c) for c in table.columns]
        for col, text in enumerate(header, start=1):
            cell = ws.cell(row=1, column=col)
            cell.value = text
            cell.data_type = "s"
            cell.font = Font(bold=True)
        for r, row in enumerate(table.astype(object).itertuples(index=False), start=2):
            for col, v in enumerate(row, start=1):
                value = _value(v)
                if value is None:
                    continue
                cell = ws.cell(row=r, column=col)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"          # text, never a formula
                    if value[:1] in "=+-@":
                        cell.quotePrefix = True   # and it stays text when the reader edits the cell
        ws.freeze_panes = "A2"
        for col, text in enumerate(header, start=1):
            values = [len(str(c)) for c in table.iloc[:200, col - 1].astype(object) if c is not None]
            width = min(60, max([len(text)] + values) + 2)
            ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


LAYER_NL = {"snapshot": "ingebouwde momentopname", "cache": "gedownload", "panel": "gedownload (alle gemeenten)",
            "local": "aangeleverd door de analist"}


def figures_table(ds, areas: list[str], indicators: list[str]) -> pd.DataFrame:
    """Every figure of `indicators` for `areas` with the publication it comes from, for a reader."""
    from .sourcelines import source_entries

    t = ds.observations.table
    t = t[t.area_code.isin(areas) & t.indicator.isin(indicators)].sort_values(["indicator", "area_code", "year"])
    entry = {sid: "; ".join(source_entries(ds, [sid])) or sid for sid in set(t.source_id)}
    return pd.DataFrame({"indicator": t.indicator, "omschrijving": [ds.indicators[i].label_nl for i in t.indicator],
                         "gebied": t.area_name, "gebiedscode": t.area_code, "jaar": t.year, "aantal": t.value,
                         "bron": [entry[s] for s in t.source_id], "bron_id": t.source_id,
                         "herkomst": [LAYER_NL.get(x, x) for x in t.layer]})


def year_workbook(ds, year: int, municipality: str, card: pd.DataFrame) -> bytes:
    """outputs/<year>/ivb-<year>.xlsx: the scorecard, the figures with their sources, and the policy
    document's statements about the municipality."""
    from ..data.datastatus import policy_indicators
    from .monitorpage import statements_table

    return workbook_bytes({f"scorekaart {year}": card,
                           "cijfers en bronnen": figures_table(ds, [municipality, "NL01"], policy_indicators(ds)),
                           "uitspraken": statements_table(ds, municipality)})
