"""CSV files for people: text cells that a spreadsheet would run as a formula are prefixed with '.

A cell such as ``=HYPERLINK("http://attacker.example", "click")`` (a column name
or a label from an upload) is a live formula when the download is opened in
Excel, LibreOffice or Google Sheets. Spreadsheets treat a leading apostrophe
as "this is text" and hide it, so text cells starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return get one (OWASP's advice for CSV injection).
Numbers are written as numbers: ``-1.5`` in a numeric column stays as it is.

CSV that the app reads back (a run bundle's members) is written exactly,
without this: it is data for Latent Lab, not a sheet.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """``value`` with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame, **to_csv: object) -> bytes:
    """``frame`` as UTF-8 CSV for a download: header and text cells made formula-safe.

    Args:
        frame: the table; numeric columns are written unchanged.
        **to_csv: more ``DataFrame.to_csv`` options (e.g. ``float_format``).
    """
    safe = frame.rename(columns=lambda name: safe_cell(str(name)))
    for column in range(safe.shape[1]):
        series = safe.iloc[:, column]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            safe.isetitem(column, series.map(safe_cell))
    return safe.to_csv(index=False, lineterminator="\n", **to_csv).encode("utf-8")  # type: ignore[arg-type]
