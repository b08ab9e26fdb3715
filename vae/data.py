"""Datasets: preset generators, CSV reading and validation, and the Standardizer.

Every dataset, whatever its source (a preset, a drawing, an uploaded CSV), ends
up as a ``Dataset``: finite float64 values in the user's original units plus a
``Standardizer`` fitted on them, so plots show original units while the model
trains on standardized float32 values.

The CSV reader is strict on purpose. pandas fails silently on real-world files
(a ``;`` file parses as one column, a decimal comma shifts values, ragged rows
turn the first column into the index), so ``read_table`` sniffs the delimiter,
decimal mark, header and encoding itself and ``build_dataset`` validates the
chosen columns. Every problem raises ``DataError`` with a one-line message that
says what is wrong and what to do; the CLI prints it as ``error: ...``.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vae import columns as roles
from vae.config import MAX_INPUT_DIM, DataConfig, MissingValues, Scaling


@dataclass(frozen=True)
class Standardizer:
    """Per-column affine map between original units and training units.

    ``transform(x) = (x - offset) / scale``; ``inverse_transform`` undoes it.
    """

    offset: np.ndarray
    scale: np.ndarray
    method: Scaling = "zscore"

    @classmethod
    def fit(cls, values: np.ndarray, method: Scaling = "zscore") -> Standardizer:
        """Fit per-column offset and scale; a constant column gets scale 1 (no division by 0)."""
        values = np.asarray(values, np.float64)
        d = values.shape[1]
        # Column by column: a reduction over axis 0 of an (n, 2) C-ordered array is
        # strided and several times slower than over each contiguous column.
        cols = [np.ascontiguousarray(values[:, j]) for j in range(d)] if d <= 8 else None
        if method == "zscore":
            if cols is not None:
                offset = np.array([c.mean() for c in cols])
                scale = np.array(
                    [np.sqrt(np.dot(c - m, c - m) / len(c)) for c, m in zip(cols, offset, strict=True)]
                )
            else:
                offset, scale = values.mean(axis=0), values.std(axis=0)
        elif method == "minmax":
            low = np.array([c.min() for c in cols]) if cols is not None else values.min(axis=0)
            high = np.array([c.max() for c in cols]) if cols is not None else values.max(axis=0)
            offset, scale = low, high - low
        else:
            offset, scale = np.zeros(d), np.ones(d)
        scale = np.where(scale > 0, scale, 1.0)
        return cls(offset=offset, scale=scale, method=method)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return ((np.asarray(values, np.float64) - self.offset) / self.scale).astype(np.float32)

    def inverse_transform(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, np.float64) * self.scale + self.offset

    def to_dict(self) -> dict:
        return {"method": self.method, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Standardizer:
        return cls(
            offset=np.asarray(data["offset"], np.float64),
            scale=np.asarray(data["scale"], np.float64),
            method=data["method"],
        )


@dataclass(frozen=True)
class Dataset:
    """A validated dataset in original units, with how to standardize it.

    Attributes:
        values: (n, D) float64, original units, all finite.
        columns: the D column names.
        labels: optional (n,) array used only for colour.
        standardizer: fitted on ``values`` with ``config.scaling``.
        config: where the data came from.
        notes: what loading did (rows read, columns used, ...), for the UI.
        warnings: what the user should know and may want to fix (rows
            dropped, columns renamed, encoding guessed, subsampled).
    """

    values: np.ndarray
    columns: tuple[str, ...]
    standardizer: Standardizer
    config: DataConfig
    labels: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = field(default_factory=tuple)  # notes the user should act on

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_dims(self) -> int:
        return int(self.values.shape[1])

    @property
    def name(self) -> str:
        return self.config.name or self.config.preset

    def standardized(self) -> np.ndarray:
        """float32 (n, D) training values."""
        return self.standardizer.transform(self.values)


def make_dataset(
    values: np.ndarray, columns, config: DataConfig, labels=None, notes=(), warnings=()
) -> Dataset:
    """Wrap validated values in a ``Dataset``, fitting its standardizer with ``config.scaling``."""
    values = np.asarray(values, np.float64)
    standardizer = Standardizer.fit(values, config.scaling)
    return Dataset(
        values=np.ascontiguousarray(values),
        columns=tuple(columns),
        standardizer=standardizer,
        config=config,
        labels=None if labels is None else np.asarray(labels),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )


def rescale(dataset: Dataset, scaling: Scaling) -> Dataset:
    """The same data with a standardizer refitted for ``scaling`` ("zscore", "minmax" or "none")."""
    if scaling == dataset.config.scaling:
        return dataset
    config = dataset.config.replace(scaling=scaling)
    return replace(dataset, config=config, standardizer=Standardizer.fit(dataset.values, scaling))


class DataError(ValueError):
    """A dataset that cannot be used, with a one-line message saying what to do.

    Attributes:
        kind: a short machine-readable reason (e.g. ``"too_many_rows"``), so the
            UI can offer a fix (a seeded subsample) without parsing the text.
    """

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


def out_of_memory_as(error: Callable[[], Exception]) -> Callable[[Callable], Callable]:
    """A decorator: a ``MemoryError`` inside the function is raised as ``error()`` instead.

    Readers of untrusted input use it so that running out of memory reaches
    the user as their usual one-line message (the page keeps what it had, the
    CLI exits 2), never as a traceback.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except MemoryError as err:
                raise error() from err

        return guarded

    return decorate


def _out_of_memory() -> DataError:
    return DataError(
        "Reading the file ran out of memory. Upload a smaller file (fewer rows or columns), "
        "or close other programs and try again.",
        "memory",
    )


# ---------------------------------------------------------------------------
# Presets
# ---------------------------------------------------------------------------

MAX_PRESET_POINTS = 200_000  # the preview stays responsive and a CPU epoch stays short


@dataclass(frozen=True)
class Preset:
    """One generator: what the UI shows and the defaults that make it look right."""

    title: str
    description: str
    noise: float  # default noise, in the shape's own units
    noise_max: float
    param: str | None = None  # name of the one shape parameter, if any ("k", "arms")
    param_default: int = 0
    param_range: tuple[int, int] = (0, 0)
    n_dims: int = 2


PRESETS: dict[str, Preset] = {
    "two_moons": Preset("Two moons", "Two interleaving half circles (scikit-learn make_moons).", 0.05, 0.5),
    "circles": Preset(
        "Concentric circles", "A small circle inside a large one (scikit-learn make_circles).", 0.05, 0.3
    ),
    "blobs": Preset(
        "Gaussian mixture",
        "k round gaussian blobs at seeded random centres "
        "(scikit-learn make_blobs); noise is each blob's standard deviation.",
        1.0,
        4.0,
        "blobs (k)",
        4,
        (1, 12),
    ),
    "spirals": Preset(
        "Spirals", "Interleaved spiral arms growing from the origin.", 0.3, 2.0, "arms", 2, (1, 6)
    ),
    "pinwheel": Preset(
        "Pinwheel",
        "Curved gaussian petals around the origin; noise is the petal width.",
        0.05,
        0.3,
        "petals",
        5,
        (2, 10),
    ),
    "checkerboard": Preset("Checkerboard", "Uniform points on the dark squares of a 4 x 4 board.", 0.0, 0.5),
    "swiss_roll": Preset(
        "Swiss roll (2-D)",
        "The swiss roll seen from its side (scikit-learn make_swiss_roll, columns x and z).",
        0.5,
        3.0,
    ),
    "ring": Preset(
        "Ring of gaussians",
        "k small gaussians evenly spaced on a circle of radius 4.",
        0.2,
        1.5,
        "gaussians (k)",
        8,
        (2, 16),
    ),
    "digits": Preset(
        "8x8 digits (64-D)",
        "scikit-learn's bundled handwritten digits: 1,797 images of "
        "8 x 8 pixels (values 0-16), one column per pixel. The one preset that is not 2-D.",
        0.0,
        4.0,
        n_dims=64,
    ),
}
DEFAULT_PRESET = "two_moons"


def preset_param(config: DataConfig) -> int:
    """The preset's shape parameter (blobs, arms, ...) from ``config.params``, or its default."""
    spec = PRESETS[config.preset]
    value = config.params.get("k", spec.param_default)
    low, high = spec.param_range
    if spec.param and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
        raise DataError(
            f"{spec.param} for {spec.title} must be an integer in [{low}, {high}]. Received: {value!r}"
        )
    return int(value)


def _spirals(n: int, arms: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, arms, n)
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0 * np.pi  # sqrt: even density along the arm
    angle = t + 2.0 * np.pi * labels / arms
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
    return x + rng.normal(0.0, noise, x.shape), labels


def _pinwheel(n: int, petals: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Johnson et al. (2016), "Composing graphical models with neural networks".
    labels = rng.integers(0, petals, n)
    features = rng.normal(size=(n, 2)) * np.array([0.3, max(noise, 1e-6)])
    features[:, 0] += 1.0
    angles = 2.0 * np.pi * labels / petals + 0.25 * np.exp(features[:, 0])
    cos, sin = np.cos(angles), np.sin(angles)
    x = np.stack(
        [cos * features[:, 0] - sin * features[:, 1], sin * features[:, 0] + cos * features[:, 1]], 1
    )
    return 2.0 * x, labels


def _checkerboard(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Squares of side 1 on [-2, 2]^2; keep the ones where floor(x) + floor(y) is even.
    x1 = rng.uniform(-2.0, 2.0, n)
    x2 = rng.uniform(0.0, 1.0, n) - 2.0 * rng.integers(0, 2, n) + np.floor(x1) % 2
    x = np.stack([x1, x2], axis=1)
    labels = ((np.floor(x1) + 2) + 4 * (np.floor(x2) + 2)).astype(int)
    return x + rng.normal(0.0, noise, x.shape), labels


def _ring(n: int, k: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, k, n)
    angle = 2.0 * np.pi * labels / k
    centres = 4.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + rng.normal(0.0, noise, centres.shape), labels


def generate(config: DataConfig) -> Dataset:
    """Build a preset dataset; the same config (and seed) always gives the same data.

    Args:
        config: ``preset`` names a key of ``PRESETS``; ``n_samples`` (at most
            ``MAX_PRESET_POINTS``), ``noise`` and ``seed`` apply to every preset;
            ``params["k"]`` sets the preset's one shape parameter, if it has one.
            The digits preset has 1,797 images: ``n_samples`` below that takes a
            seeded subset, and ``noise`` adds gaussian pixel noise.

    Returns:
        A ``Dataset`` with labels (cluster, arm or digit) for colour.

    Raises:
        DataError: for an unknown preset, too many points or a bad parameter.
    """
    from sklearn import datasets as skd

    name = config.preset
    if name not in PRESETS:
        raise DataError(f"Unknown preset {name!r}. Choose one of: {', '.join(PRESETS)}")
    if config.n_samples > MAX_PRESET_POINTS:
        raise DataError(
            f"Presets generate at most {MAX_PRESET_POINTS:,} points. Received: n_samples={config.n_samples:,}"
        )
    n, noise, seed = config.n_samples, float(config.noise), config.seed
    rng = np.random.default_rng(seed)
    k = preset_param(config)
    columns: tuple[str, ...] = ("x1", "x2")
    if name == "two_moons":
        x, y = skd.make_moons(n_samples=n, noise=noise, random_state=seed)
    elif name == "circles":
        x, y = skd.make_circles(n_samples=n, noise=noise, factor=0.5, random_state=seed)
    elif name == "blobs":
        x, y = skd.make_blobs(
            n_samples=n, centers=k, cluster_std=max(noise, 1e-6), center_box=(-10.0, 10.0), random_state=seed
        )
    elif name == "spirals":
        x, y = _spirals(n, k, noise, rng)
    elif name == "pinwheel":
        x, y = _pinwheel(n, k, noise, rng)
    elif name == "checkerboard":
        x, y = _checkerboard(n, noise, rng)
    elif name == "swiss_roll":
        x3, t = skd.make_swiss_roll(n_samples=n, noise=noise, random_state=seed)
        x, y = x3[:, [0, 2]], np.digitize(t, np.linspace(t.min(), t.max(), 7)[1:-1])
    elif name == "ring":
        x, y = _ring(n, k, noise, rng)
    else:  # digits
        digits = skd.load_digits()
        x, y = digits.data.astype(np.float64), digits.target
        if n < len(x):
            keep = np.sort(rng.choice(len(x), size=n, replace=False))
            x, y = x[keep], y[keep]
        if noise > 0:
            x = x + rng.normal(0.0, noise, x.shape)
        columns = tuple(f"px{r}{c}" for r in range(8) for c in range(8))
    if not config.name:
        config = config.replace(name=PRESETS[name].title)
    return make_dataset(x, columns, config, labels=np.asarray(y))


def from_points(points: Sequence[Sequence[float]], scaling: Scaling = "zscore") -> Dataset:
    """A dataset from drawn points ``(x, y)`` or ``(x, y, class)``; validated like an upload.

    Points drawn in more than one class get those classes as labels (for colour).

    Raises:
        DataError: fewer than 2 points, non-finite values or a constant column.
    """
    rows = [list(p) for p in points]
    classes = np.array([int(p[2]) if len(p) > 2 else 0 for p in rows], np.int64)
    values = np.asarray([p[:2] for p in rows], np.float64).reshape(-1, 2) if rows else np.zeros((0, 2))
    if len(values) < MIN_ROWS:
        raise DataError(
            f"The drawing has {len(values)} point(s); draw at least {MIN_ROWS} "
            "(drag on the canvas), then use it."
        )
    _check_values(values, ("x", "y"), np.arange(len(values)) + 1)
    config = DataConfig(
        source="drawn", preset="drawing", n_samples=len(values), noise=0.0, scaling=scaling, name="drawing"
    )
    labels = classes if len(np.unique(classes)) > 1 else None
    return make_dataset(values, ("x", "y"), config, labels=labels)


# ---------------------------------------------------------------------------
# CSV reading and validation
# ---------------------------------------------------------------------------

MAX_UPLOAD_MB = 100  # the same as server.maxUploadSize in .streamlit/config.toml
MAX_ROWS = 1_000_000  # more than this: refuse, or take a seeded subsample
MIN_ROWS = 2
MAX_ABS_VALUE = 1e15  # beyond this float32 training loses the data (and its squared error overflows)
# A column must vary by more than this: the squares of smaller differences underflow float64
# (below 2.2e-308), so the z-score scale comes out 0 and the column standardizes to all zeros
# (1e-320, 2e-320, ... did, silently).
MIN_SPREAD = 1e-150
_SNIFF_BYTES = 64 * 1024  # the sample sniffing reads, grown for a wide file (see _head)
# A header line longer than this is refused: 4,096 columns (the widest model) of ~1,000-byte names.
_MAX_HEADER_BYTES = 4 * 1024 * 1024
_DELIMITERS = ("\t", ";", ",", "|")  # in order of preference when several fit
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.I)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Table:
    """A delimited file read as text and numbers, before columns are chosen.

    Attributes:
        frame: every row and column as read (numeric columns as float64).
        numeric: names of the columns that hold numbers.
        delimiter, decimal, encoding, has_header: what sniffing found.
        first_line: file line number of the first data row (1-based).
        notes: what reading did (renamed duplicates, numbers read from text, ...).
        name: the file name, for messages.
        guesses: what reading had to guess (the encoding, that there is no
            header row): the UI shows these as warnings.
        thousands: the thousands separator found in numbers written as text ("" if none).
    """

    frame: pd.DataFrame
    numeric: tuple[str, ...]
    delimiter: str
    decimal: str
    encoding: str
    has_header: bool
    first_line: int
    notes: tuple[str, ...] = ()
    name: str = ""
    guesses: tuple[str, ...] = ()
    thousands: str = ""

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
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        hint = (
            "It looks like UTF-16 text: save it as UTF-8 CSV."
            if utf16
            else "Upload a plain-text CSV or TSV file."
        )
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
    seen: dict[str, int] = {}
    out, notes = [], []
    for i, raw in enumerate(names):
        name = raw or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            while new in seen:
                seen[name] += 1
                new = f"{name} ({seen[name]})"
            notes.append(f"Column name {name!r} appears more than once; column {i + 1} was renamed {new!r}.")
            seen[new] = 1
            name = new
        else:
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


@out_of_memory_as(_out_of_memory)
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
    max_bytes = MAX_UPLOAD_MB * 1024 * 1024 if max_bytes is None else max_bytes
    head, size = _head(source)
    check_size(size, name, max_bytes)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DataError(
            f"{label} is empty. Choose a CSV with a header row and at least {MIN_ROWS} data rows.", "empty"
        )
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
    raw = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    frame = None
    for enc in (encoding, "latin-1") if encoding == "utf-8" else (encoding,):
        try:
            if isinstance(raw, io.BytesIO):
                raw.seek(0)
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
            raise DataError(
                f"{label} is empty. Choose a CSV with a header row and at least {MIN_ROWS} data rows.",
                "empty",
            ) from exc
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
        blank = frame.isna().all(axis=1).to_numpy()
        if blank.any():
            frame = frame[~blank]
    numeric, from_text = [], []
    thousands = ""
    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col].dtype) and not pd.api.types.is_bool_dtype(
            frame[col].dtype
        ):
            if frame[col].dtype != np.float64:
                frame[col] = frame[col].astype(np.float64)
            numeric.append(col)
        elif len(frame):
            text = frame[col]
            converted, ok = _to_number(text, decimal)
            if ok:
                thousands = thousands or _thousands_mark(text, decimal)
                frame[col] = converted
                numeric.append(col)
                from_text.append(col)
    if from_text:
        # One calm note for every such column (a file with thousands separators has many).
        notes.append(f"Numbers written as text (quotes or separators) were read in {_names(from_text)}.")
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


def _thousands_mark(column: pd.Series, decimal: str) -> str:
    """The thousands separator in a column of numbers written as text (e.g. "1,234"), or ""."""
    for cell in column.dropna().astype(str).head(200):
        match = _THOUSANDS.search(cell)
        if match and match.group(1) != decimal:
            return " " if match.group(1) in "\u00a0\u202f" else match.group(1)
    return ""


def _lines(index: np.ndarray, first_line: int, limit: int = 5) -> str:
    shown = ", ".join(str(int(i) + first_line) for i in index[:limit])
    return shown + (", ..." if len(index) > limit else "")


def _check_values(values: np.ndarray, columns: Sequence[str], lines: np.ndarray) -> None:
    """Raise ``DataError`` for values too large for float32 training or constant columns."""
    for j, col in enumerate(columns):
        column = values[:, j]
        low, high = float(column.min()), float(column.max())
        if max(-low, high) > MAX_ABS_VALUE:
            big = np.abs(column) > MAX_ABS_VALUE
            worst = max(-low, high)
            f32 = " (beyond float32's 3.4e38)" if worst > float(np.finfo(np.float32).max) else ""
            raise DataError(
                f"Column {col!r} has values up to {worst:.3g}{f32} on line(s) "
                f"{_lines(lines[big], 0)}; values beyond ±{MAX_ABS_VALUE:.0e} cannot be "
                "trained in float32. Rescale the column (other units) or remove those rows.",
                "too_large_values",
            )
        if low == high:
            raise DataError(
                f"Column {col!r} is constant (every value is {column[0]:g}), so it carries "
                "no information and cannot be standardized. Choose another column.",
                "constant",
            )
        if high - low < MIN_SPREAD:
            raise DataError(
                f"Column {col!r} varies only between {low:.3g} and {high:.3g}, too little for "
                "floating point to standardize (it would become all zeros). Rescale the column "
                "(other units) or choose another column.",
                "too_small_spread",
            )


@out_of_memory_as(_out_of_memory)
def build_dataset(
    table: Table,
    columns: Sequence[str] | None = None,
    *,
    label_column: str | None = None,
    scaling: Scaling = "zscore",
    max_rows: int = MAX_ROWS,
    subsample_seed: int | None = None,
    missing: MissingValues = "drop",
) -> Dataset:
    """Validate the chosen columns of a ``Table`` and make a ``Dataset``.

    Rows with a missing, non-numeric, NaN or infinite value in a chosen column
    are dropped and reported in ``Dataset.warnings`` (count and first line
    numbers); with ``missing="median"`` missing cells are filled with their
    column's median instead (infinite values still drop their row).

    Args:
        table: from ``read_table``.
        columns: at least 2 numeric columns (default: ``table.roles().modelled``).
        label_column: optional column used only for colour; if it is among
            ``columns`` it is removed from them (and a note says so).
        missing: "drop" rows with missing values, or fill them with the "median".
        scaling: "zscore", "minmax" or "none", stored with the dataset.
        max_rows: more rows than this raise ``DataError(kind="too_many_rows")``
            unless ``subsample_seed`` is given.
        subsample_seed: keep a seeded random subset of ``max_rows`` rows.

    Raises:
        DataError: too few rows or numeric columns, unknown or duplicate
            columns, a constant column, values too large, too many rows.
    """
    label = repr(table.name) if table.name and table.name != "the file" else "The file"
    if table.n_rows == 0:
        raise DataError(
            f"{label} has a header row but no data rows. Add at least {MIN_ROWS} rows of numbers.", "no_rows"
        )
    if table.n_rows < MIN_ROWS:
        raise DataError(
            f"{label} has only 1 data row; a dataset needs at least {MIN_ROWS}. Add more rows.", "one_row"
        )
    if not table.numeric:
        raise DataError(
            f"{label} has no numeric columns (columns: {_names(table.columns)}). Check that it "
            "holds numbers and that the delimiter and decimal mark are standard.",
            "no_numeric",
        )
    if len(table.numeric) < 2:
        raise DataError(
            f"{label} has only one numeric column ({table.numeric[0]!r}); a dataset needs at "
            "least 2. Add another numeric column.",
            "one_numeric",
        )
    columns = table.roles().modelled if columns is None else columns
    columns, label_note = roles.split_label(columns, label_column)
    unknown = [c for c in columns if c not in table.frame.columns]
    if unknown:
        raise DataError(
            f"No column named {_names(unknown)}. Columns are: {_names(table.columns)}.", "columns"
        )
    not_numeric = [c for c in columns if c not in table.numeric]
    if not_numeric:
        raise DataError(
            f"Column(s) {_names(not_numeric)} are not numeric. Numeric columns: "
            f"{_names(table.numeric) or 'none'}.",
            "columns",
        )
    if len(columns) < 2 or len(set(columns)) != len(columns):
        raise DataError(
            f"Choose at least 2 different numeric columns. Received: {_names(columns)}", "columns"
        )
    if label_column is not None and label_column not in table.frame.columns:
        raise DataError(
            f"No label column named {label_column!r}. Columns are: {_names(table.columns)}.", "columns"
        )
    values = np.empty((table.n_rows, len(columns)), np.float64, order="F")  # contiguous columns: fast checks
    for j, c in enumerate(columns):
        values[:, j] = table.frame[c].to_numpy(np.float64, na_value=np.nan)
    index = table.frame.index.to_numpy()
    notes: list[str] = [*table.notes, *([label_note] if label_note else [])]
    warnings = list(table.guesses)
    if missing == "median":
        notes += _fill_with_median(values, columns)
    finite = np.isfinite(values)
    if not finite.all():
        bad = ~finite.all(axis=1)
        nan_rows = np.isnan(values).any(axis=1) & bad
        n_bad = int(bad.sum())
        kinds = " or ".join(
            k
            for k, there in (
                ("missing, NaN or non-numeric", nan_rows.any()),
                ("infinite", (bad & ~nan_rows).any()),
            )
            if there
        )
        if n_bad == len(values):
            raise DataError(
                f"Every row of {label} has {kinds} values in {_names(columns)}; "
                "nothing is left. Check the columns and the decimal mark.",
                "all_dropped",
            )
        warnings.append(
            f"Dropped {n_bad:,} row(s) with {kinds} values in {_names(columns)} (line(s) "
            f"{_lines(index[bad], table.first_line)})."
        )
        values, index = values[~bad], index[~bad]
        if len(values) < MIN_ROWS:
            raise DataError(
                f"Only {len(values)} row(s) of {label} are complete; a dataset needs at least "
                f"{MIN_ROWS}. Fix the missing values.",
                "one_row",
            )
    keep: np.ndarray | None = None
    if len(values) > max_rows:
        if subsample_seed is None:
            raise DataError(
                f"{label} has {len(values):,} rows, more than the {max_rows:,} limit. Use a seeded "
                f"random subsample of {max_rows:,} rows, or upload fewer rows.",
                "too_many_rows",
            )
        keep = np.sort(np.random.default_rng(subsample_seed).choice(len(values), max_rows, replace=False))
        warnings.append(
            f"Kept a random subsample of {max_rows:,} of {len(values):,} rows (seed {subsample_seed})."
        )
        values, index = values[keep], index[keep]
    _check_values(values, columns, index + table.first_line)
    labels = None
    if label_column is not None:
        labels = table.frame[label_column].to_numpy()
        if keep is not None or len(index) != len(labels):
            labels = table.frame[label_column].loc[index].to_numpy()
        labels = roles.integral_labels(labels)  # a CSV's 0.0, 1.0 read back as the classes 0, 1
    config = DataConfig(
        source="upload",
        preset="upload",
        n_samples=len(values),
        noise=0.0,
        columns=columns,
        label_column=label_column,
        scaling=scaling,
        name=table.name,
        missing=missing,
    )
    as_label = f"; label {label_column!r} (colour only)" if label_column is not None else ""
    # The table's own summary already says "Read N rows × M columns"; this says what is used of it.
    rows = (
        f"all {len(values):,} rows"
        if len(values) == table.n_rows
        else f"{len(values):,} of {table.n_rows:,} rows"
    )
    notes.insert(0, f"Modelling {_names(columns)} on {rows}{as_label}.")
    return make_dataset(values, columns, config, labels=labels, notes=notes, warnings=warnings)


def _fill_with_median(values: np.ndarray, columns: Sequence[str]) -> list[str]:
    """Fill NaN cells of ``values`` in place with their column's median; say how many, per column."""
    filled = []
    for j, name in enumerate(columns):
        column = values[:, j]
        gaps = np.isnan(column)
        count = int(gaps.sum())
        if count and count < len(column):
            median = float(np.median(column[~gaps & np.isfinite(column)]))
            column[gaps] = median
            filled.append(f"{name!r} ({count:,} with {median:g})")
    if not filled:
        return []
    return [f"Filled missing values with the column median: {', '.join(filled)}."]


def _names(names: Sequence[str]) -> str:
    return ", ".join(repr(str(n)) for n in names)


def load_csv(
    source: bytes | str | Path,
    *,
    columns: Sequence[str] | None = None,
    label_column: str | None = None,
    scaling: Scaling = "zscore",
    name: str = "",
    max_rows: int = MAX_ROWS,
    subsample_seed: int | None = None,
    max_bytes: int | None = None,
    missing: MissingValues = "drop",
) -> Dataset:
    """Read, validate and standardize a CSV or TSV file: ``read_table`` then ``build_dataset``.

    Example: ``load_csv("points.csv", columns=["x", "y"])``.

    Raises:
        DataError: with a one-line message saying what is wrong and what to do.
    """
    table = read_table(source, name=name, max_bytes=max_bytes)
    return build_dataset(
        table,
        columns,
        label_column=label_column,
        scaling=scaling,
        max_rows=max_rows,
        subsample_seed=subsample_seed,
        missing=missing,
    )


def dataset_frame(dataset: Dataset) -> pd.DataFrame:
    """The dataset as a table in original units, labels last (in a column named as uploaded, or "label")."""
    frame = pd.DataFrame(dataset.values, columns=list(dataset.columns))
    if dataset.labels is not None:
        name = dataset.config.label_column or "label"
        while name in frame.columns:
            name += "_"
        frame[name] = dataset.labels
    return frame


def to_csv_bytes(dataset: Dataset) -> bytes:
    """The dataset as UTF-8 CSV, exactly: ``load_csv`` reads it back unchanged (run bundles use it).

    Downloads for people go through ``vae.spreadsheet.csv_bytes`` instead (formula-safe text).
    """
    # float_format=None writes repr(), which round-trips float64 exactly.
    return dataset_frame(dataset).to_csv(index=False, lineterminator="\n").encode("utf-8")
