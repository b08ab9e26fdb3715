"""Benchmark: loading and validating a CSV costs little more than reading it.

``python -m vae bench`` calls ``bench_parse``. It writes one seeded 2-column
CSV to a temporary file and times, in the same run, a bare
``pandas.read_csv`` of it and ``vae.data.build.load_csv`` (sniffing, reading,
validation, standardization). The target is ``parse_vs_read_csv <= 1.5``.
Best of a few repeats each, interleaved, so a busy machine slows both alike.

It also times what the Data page does between an upload and its preview on a
wine-like table (13 measurements and an integer class): read, propose column
roles, build the dataset, and draw the PCA preview. Target: under 3 s at
1,000,000 rows (``upload_preview_s``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vae.data.build import build_dataset, load_csv
from vae.data.csv_reader import read_table

TARGET_RATIO = 1.5
TARGET_PREVIEW_S = 3.0


def _upload_to_preview(raw: bytes) -> float:
    """Seconds from an uploaded file's bytes to its preview figure, as the Data page does it."""
    from vae.ui import data_view  # Plotly; no Streamlit

    start = time.perf_counter()
    table = read_table(raw, name="wine.csv")
    roles = table.roles()
    dataset = build_dataset(table, roles.modelled, label_column=roles.label)
    data_view.scatter_figure(dataset.values, columns=dataset.columns, labels=dataset.labels)
    return time.perf_counter() - start


def _wine_like(n_rows: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(10, 2, size=(n_rows, 13)).round(2), columns=[f"m{j}" for j in range(13)])
    frame.insert(0, "class", 1 + np.arange(n_rows) % 3)
    return frame.to_csv(index=False).encode()


def _write_csv(path: Path, n_rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 2)), columns=["x", "y"])
    frame.to_csv(path, index=False)


def bench_parse(quick: bool = False) -> dict:
    """Time ``load_csv`` against a bare ``pandas.read_csv`` of the same file.

    Args:
        quick: 100,000 rows and 2 repeats instead of 1,000,000 rows and 5.

    Returns:
        ``{"parse_rows", "parse_s", "read_csv_s", "parse_vs_read_csv",
        "parse_target", "upload_preview_rows", "upload_preview_s",
        "upload_preview_target_s"}``: seconds are the best of the repeats.
    """
    n_rows, repeats = (100_000, 2) if quick else (1_000_000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        _write_csv(path, n_rows)
        read_times, parse_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            pd.read_csv(path)
            read_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            dataset = load_csv(path)
            parse_times.append(time.perf_counter() - start)
        if dataset.n_rows != n_rows:
            raise RuntimeError(f"load_csv read {dataset.n_rows} rows of {n_rows}")
    read_s, parse_s = min(read_times), min(parse_times)
    raw = _wine_like(n_rows)
    _upload_to_preview(raw[: 64 * 1024].rsplit(b"\n", 1)[0])  # imports (scikit-learn, Plotly) once, untimed
    preview_s = min(_upload_to_preview(raw) for _ in range(max(1, repeats // 2)))
    return {
        "parse_rows": n_rows,
        "parse_s": round(parse_s, 4),
        "read_csv_s": round(read_s, 4),
        "parse_vs_read_csv": round(parse_s / read_s, 3),
        "parse_target": TARGET_RATIO,
        "upload_preview_rows": n_rows,
        "upload_preview_s": round(preview_s, 3),
        "upload_preview_target_s": TARGET_PREVIEW_S,
    }


if __name__ == "__main__":
    print(bench_parse())
