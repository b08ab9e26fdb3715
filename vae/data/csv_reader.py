"""Reading a CSV file strictly: sniff its delimiter, decimal mark, header and encoding.

pandas fails silently on real-world files (a ``;`` file parses as one column,
a decimal comma shifts values, ragged rows turn the first column into the
index), so ``read_table`` sniffs them itself. Every problem raises
``DataError`` with a one-line message that says what is wrong and what to do;
the CLI prints it as ``error: ...``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vae.config import MAX_INPUT_DIM
from vae.data import columns as roles
from vae.data.dataset import MIN_ROWS, DataError, out_of_memory_as, out_of_memory_error

MAX_UPLOAD_MB = 100  # the same as server.maxUploadSize in .streamlit/config.toml
_SNIFF_BYTES = 64 * 1024  # the sample sniffing reads, grown for a wide file (see _head)
# A header line longer than this is refused: 4,096 columns (the widest model) of ~1,000-byte names.
_MAX_HEADER_BYTES = 4 * 1024 * 1024
_DELIMITERS = ("\t", ";", ",", "|")  # in order of preference when several fit
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.I)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Table:
    """A delimited file read as text and numbers, before columns are chosen."""

    frame: pd.DataFrame  # every row and column as read (numeric columns as float64)
    numeric: tuple[str, ...]  # the columns that hold numbers
    delimiter: str  # this and the next three: what sniffing found
    decimal: str
    encoding: str
    has_header: bool
    first_line: int  # file line number of the first data row (1-based)
    notes: tuple[str, ...] = ()  # what reading did (renamed duplicates, numbers read from text, ...)
    name: str = ""  # the file name, for messages
    # What reading had to guess (the encoding, that there is no header row): shown as warnings.
    guesses: tuple[str, ...] = ()
    thousands: str = ""  # the thousands separator of numbers written as text ("" if none)

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.frame.columns)

    def roles(self) -> roles.ColumnRoles:
        """Proposed modelled columns and label (what the page and the CLI use unless told otherwise)."""
        return roles.propose_roles(self.frame, self.numeric)

    def summary(self) -> str:
        """One calm line on what was detected: separator, decimal mark, thousands separator, encoding."""
        parts = [
            f"{_DELIM_NAMES[self.delimiter]}-separated",
            f"decimal {'comma' if self.decimal == ',' else 'point'}",
        ]
        if self.thousands:
            parts.append(f"thousands separator {_THOUSANDS_NAMES.get(self.thousands, repr(self.thousands))}")
        parts += [self.encoding.upper() if self.encoding == "utf-8" else self.encoding.capitalize()]
        parts.append("header row" if self.has_header else "no header row")
        return f"Read {self.n_rows:,} rows × {len(self.columns)} columns: {', '.join(parts)}."


def _head(source: bytes | str | Path) -> tuple[bytes, int]:
    """The sample sniffing reads, and the file's size in bytes.

    The sample holds the whole first line (so a header of 10,000 names is not
    cut) and about three more lines of that width, at least ``_SNIFF_BYTES``;
    a first line longer than ``_MAX_HEADER_BYTES`` is left cut.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _sample(lambda n: bytes(source[:n])), len(source)
    path = Path(source)
    try:
        with path.open("rb") as fh:

            def prefix(n: int) -> bytes:
                fh.seek(0)
                return fh.read(n)

            return _sample(prefix), path.stat().st_size
    except OSError as exc:
        raise DataError(f"Cannot read {str(path)!r}: {exc.strerror or exc}. Check the path.") from exc


def _sample(prefix: Callable[[int], bytes]) -> bytes:
    head = prefix(_SNIFF_BYTES)
    end = _first_line_end(head)
    if end is None and len(head) == _SNIFF_BYTES:
        head = prefix(_MAX_HEADER_BYTES)
        end = _first_line_end(head)
    if end is not None and 4 * end > len(head):
        head = prefix(4 * end)
    return head


def _first_line_end(head: bytes) -> int | None:
    match = re.search(rb"[\r\n]", head)
    return None if match is None else match.end()


def _check_not_binary(head: bytes, label: str) -> None:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(
            f"{label} is an Excel workbook or zip archive, not a CSV text file. "
            "Save it as CSV (File > Save As > CSV) and upload that.",
            "binary",
        )
    if b"\x00" in head:
        hint = "Upload a plain-text CSV or TSV file."
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "It looks like UTF-16 text: save it as UTF-8 CSV."
        raise DataError(f"{label} contains NUL bytes, so it is a binary file, not CSV text. {hint}", "binary")


def _decode_head(head: bytes, complete: bool) -> tuple[str, str]:
    try:
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        return decoder.decode(head, final=complete), "utf-8"
    except UnicodeDecodeError:
        return head.decode("latin-1"), "latin-1"


def _sniff(text: str, complete: bool) -> tuple[str, str, bool, list[str]]:
    """Delimiter, decimal mark, whether there is a header, and the header fields.

    ``complete`` says ``text`` is the whole file; otherwise its last line may be cut.
    """
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if not complete and len(lines) > 1:
        lines = lines[:-1]
    best, rows = ",", None
    for delim in _DELIMITERS:
        try:
            split = list(csv.reader(lines, delimiter=delim))
        except csv.Error:  # a field over csv's 131,072-character limit: a wide line split wrongly
            continue
        counts = {len(row) for row in split}
        if len(counts) == 1 and counts.pop() >= 2:
            best, rows = delim, split
            break
    if rows is None:
        rows = list(csv.reader(lines, delimiter=best))
    first = [f.strip() for f in rows[0]] if rows else []
    has_header = not all(_NUMBER.match(f) for f in first) if first else False
    decimal = "."
    if best != ",":
        cells = [c.strip() for row in rows[1 if has_header else 0 :] for c in row]
        if any(_DECIMAL_COMMA.match(c) for c in cells):
            decimal = ","
    return best, decimal, has_header, first


def _unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    seen: dict[str, int] = {}  # name -> how many columns were named after it (a counter per name: O(n))
    out, notes = [], []
    for i, raw in enumerate(names):
        base = name = raw or f"column {i + 1}"
        while name in seen:
            seen[base] += 1
            name = f"{base} ({seen[base]})"
        if name != base:
            notes.append(f"Column name {base!r} appears more than once; column {i + 1} was renamed {name!r}.")
        seen[name] = 1
        out.append(name)
    return out, notes


def _to_number(col: pd.Series, decimal: str) -> tuple[pd.Series, bool]:
    """Convert a text column holding numbers (with thousands separators) to float64."""
    text = col.astype("string").str.strip()
    present = text.notna() & (text != "")
    if not present.any():
        return col, False
    if decimal == ",":
        cleaned = text.str.replace(r"[\s.']", "", regex=True).str.replace(",", ".", regex=False)
    else:
        cleaned = text.str.replace(r"[\s,_']", "", regex=True)
    numbers = pd.to_numeric(cleaned, errors="coerce")
    if numbers[present].notna().mean() > 0.5:
        return numbers.astype(np.float64), True
    return col, False


def check_size(size: int, name: str = "", max_bytes: int | None = None) -> None:
    """Raise ``DataError(kind="too_large")`` if a file of ``size`` bytes is over the upload limit.

    The server enforces ``server.maxUploadSize`` too, but a file uploader's own
    limit is checked only in the browser: check the size again here.
    """
    max_bytes = MAX_UPLOAD_MB * 1024 * 1024 if max_bytes is None else max_bytes
    if size > max_bytes:
        label = repr(name) if name and name != "the file" else "The file"
        raise DataError(
            f"{label} is {size / 2**20:,.1f} MB, over the {max_bytes / 2**20:,.0f} MB upload limit. "
            "Upload a smaller file (e.g. a sample of its rows).",
            "too_large",
        )


@out_of_memory_as(out_of_memory_error)
def read_table(source: bytes | str | Path, *, name: str = "", max_bytes: int | None = None) -> Table:
    """Read a CSV or TSV file, sniffing delimiter, decimal mark, header and encoding.

    Args:
        source: the file's bytes, or a path.
        name: what to call the file in messages (defaults to the path's name).
        max_bytes: refuse larger files (default ``MAX_UPLOAD_MB`` MB).

    Returns:
        A ``Table``: all rows, numeric columns as float64.

    Raises:
        DataError: empty, binary or too large file, or rows with the wrong number of fields.
    """
    if not name:
        name = "the file" if isinstance(source, (bytes, bytearray, memoryview)) else Path(source).name
    label = repr(name) if name != "the file" else "The file"
    empty = f"{label} is empty. Choose a CSV with a header row and at least {MIN_ROWS} data rows."
    head, size = _head(source)
    check_size(size, name, max_bytes)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataError(empty, "empty")
    _check_not_binary(head, label)
    complete = len(head) == size
    if not complete and _first_line_end(head) is None:
        raise DataError(
            f"{label} has a first line longer than {_MAX_HEADER_BYTES // 2**20} MB with no line break; "
            "a CSV has one row per line. Check that this is a CSV or TSV file.",
            "parse",
        )
    text, encoding = _decode_head(head, complete=complete)
    try:
        delimiter, decimal, has_header, first = _sniff(text, complete)
    except csv.Error as exc:  # e.g. a field longer than csv's 131,072-character limit
        raise DataError(
            f"{label} could not be read as delimited text ({exc}). Shorten that cell, or check "
            "that this is a CSV file.",
            "parse",
        ) from exc
    if len(first) > MAX_INPUT_DIM:
        raise DataError(
            f"{label} has {len(first):,} columns; Latent Lab reads at most {MAX_INPUT_DIM:,} (the widest "
            "model it trains). Keep the columns you need (e.g. in a spreadsheet) and upload that.",
            "too_many_columns",
        )
    notes, guesses = [], []
    if encoding == "latin-1":
        guesses.append("The file is not valid UTF-8; it was read as Latin-1.")
    if has_header:
        names, renamed = _unique_names(first)
        notes += renamed
    else:
        names = [f"x{i + 1}" for i in range(len(first))]
        guesses.append(f"No header row found; columns are named {', '.join(names)}.")
    kwargs: dict[str, Any] = dict(
        sep=delimiter,
        decimal=decimal,
        header=0 if has_header else None,
        names=names,
        index_col=False,
        on_bad_lines="error",
        skip_blank_lines=False,
    )
    frame = None
    for enc in (encoding, "latin-1") if encoding == "utf-8" else (encoding,):
        raw = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        try:
            with warnings.catch_warnings():
                # Rows wider than the header only warn, and pandas drops their last fields.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(raw, encoding="utf-8-sig" if enc == "utf-8" else enc, **kwargs)
            if enc != encoding:
                guesses.append("The file is not valid UTF-8; it was read as Latin-1.")
            break
        except UnicodeDecodeError:
            continue
        except pd.errors.EmptyDataError as exc:
            raise DataError(empty, "empty") from exc
        except pd.errors.ParserWarning as exc:
            raise DataError(
                f"{label} has rows with more fields than its header has names (often an unnamed "
                "row-index column). Give every column a name in the header, or remove the extra fields.",
                "parse",
            ) from exc
        except (pd.errors.ParserError, ValueError) as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"{label} could not be read as {_DELIM_NAMES[delimiter]}-separated values "
                f"({detail}). Make every row have the same number of fields.",
                "parse",
            ) from exc
    assert frame is not None  # latin-1 decodes any bytes
    # Rows that are entirely blank (blank lines) are not data; keep the index so line numbers stay true.
    if any(frame[c].hasnans for c in frame.columns):
        frame = frame.dropna(how="all")
    numeric, from_text = [], []
    thousands = ""
    for col in frame.columns:
        dtype = frame[col].dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            if dtype != np.float64:
                frame[col] = frame[col].astype(np.float64)
            numeric.append(col)
        elif len(frame):
            text = frame[col]
            converted, ok = _to_number(text, decimal)
            if ok:
                thousands = thousands or thousands_mark(text, decimal)
                frame[col] = converted
                numeric.append(col)
                from_text.append(col)
    if from_text:
        # One calm note for every such column (a file with thousands separators has many).
        notes.append(f"Numbers written as text (quotes or separators) were read in {names_text(from_text)}.")
    return Table(
        frame=frame,
        numeric=tuple(numeric),
        delimiter=delimiter,
        decimal=decimal,
        encoding=encoding,
        has_header=has_header,
        first_line=2 if has_header else 1,
        notes=tuple(notes),
        name=name,
        guesses=tuple(guesses),
        thousands=thousands,
    )


_DELIM_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_THOUSANDS_NAMES = {",": "comma", ".": "point", " ": "space", "'": "apostrophe", "_": "underscore"}
_THOUSANDS = re.compile(r"\d([,. '_\u00a0\u202f])\d{3}(?!\d)")


def thousands_mark(column: pd.Series, decimal: str) -> str:
    """The thousands separator in a column of numbers written as text (e.g. "1,234"), or ""."""
    for cell in column.dropna().astype(str).head(200):
        match = _THOUSANDS.search(cell)
        if match and match.group(1) != decimal:
            return " " if match.group(1) in "\u00a0\u202f" else match.group(1)
    return ""


def names_text(names: Sequence[str]) -> str:
    return ", ".join(repr(str(n)) for n in names)
