"""Benchmark: loading and validating a CSV costs little more than reading it.

``python -m vae bench`` calls ``bench_parse``. It writes one seeded 2-column
CSV to a temporary file and times, in the same run, a bare
``pandas.read_csv`` of it and ``vae.data.load_csv`` (sniffing, reading,
validation, standardization). The target is ``parse_vs_read_csv <= 1.5``.
Best of a few repeats each, interleaved, so a busy machine slows both alike.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vae import data

TARGET_RATIO = 1.5


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
        "parse_target"}``: seconds are the best of the repeats.
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
            dataset = data.load_csv(path)
            parse_times.append(time.perf_counter() - start)
        if dataset.n_rows != n_rows:
            raise RuntimeError(f"load_csv read {dataset.n_rows} rows of {n_rows}")
    read_s, parse_s = min(read_times), min(parse_times)
    return {
        "parse_rows": n_rows,
        "parse_s": round(parse_s, 4),
        "read_csv_s": round(read_s, 4),
        "parse_vs_read_csv": round(parse_s / read_s, 3),
        "parse_target": TARGET_RATIO,
    }


if __name__ == "__main__":
    print(bench_parse())
