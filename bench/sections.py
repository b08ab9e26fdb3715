"""The sections of ``python -m vae bench`` and what each measures (``--only`` picks some).

``vae/__main__.py`` parses the command and writes the report; this runs the measurements.
"""

from __future__ import annotations

import os
from typing import Any

SECTIONS = ("engine", "parse", "ui", "load", "live", "exact", "latency")


def measure(sections: set[str], quick: bool = False) -> dict[str, Any]:
    """Run the named sections (in the order below) and return their figures in one flat dict."""
    from bench import engine as bench

    result: dict[str, Any] = {"quick": quick, "cpus": os.cpu_count()}
    # Sections that must not have TensorFlow in this process come first: the memory
    # figure stands for the Streamlit process, which never imports it.
    if "ui" in sections:
        from bench import ui as bench_ui

        memory = bench_ui.bench_memory(n_runs=5 if quick else 20)
        result.update(
            {
                "memory_growth_mb": memory["growth_mb"],
                "memory_runs": memory["n_runs"],
                "memory_rss_start_mb": memory["rss_start_mb"],
                "memory_rss_end_mb": memory["rss_end_mb"],
            }
        )
    if "live" in sections:
        from bench import live as bench_live

        result.update(bench_live.bench_live_updates(updates=20 if quick else 60))
        result.update(bench_live.bench_snapshot_memory(epochs=10_000 if quick else 100_000))
    if "parse" in sections:
        from bench.data import bench_parse

        result.update(bench_parse(quick=quick))
    if "ui" in sections:
        speed = bench_ui.bench_worker_vs_engine(quick=quick)
        result.update(
            {
                "worker_vs_engine": speed["ratio"],
                "worker_epochs_per_s": speed["worker_epochs_per_s"],
                "engine_epochs_per_s": speed["engine_epochs_per_s"],
                "worker_bench_epochs": speed["epochs"],
                "worker_bench_pairs": speed["pairs"],
            }
        )
    if "load" in sections:
        from bench import load as bench_load

        soak = bench_load.bench_soak(n=8 if quick else 30)
        result.update({f"soak_{key}": value for key, value in soak.items() if not key.endswith("_trace")})
        result["soak_pool_pss_mb_first_last"] = [soak["pool_pss_mb_trace"][0], soak["pool_pss_mb_trace"][-1]]
        sessions = bench_load.bench_sessions(n=2 if quick else 4, epochs=5 if quick else 20)
        result.update({f"sessions_{key}": value for key, value in sessions.items() if key != "interactions"})
        result.update(bench_load.bench_compare_close())
    if "exact" in sections:
        from bench.exact import bench_exact

        result.update(bench_exact(quick=quick))
    if "latency" in sections:
        from bench import latency as bench_latency

        result.update(bench_latency.run(quick=quick))
    if "engine" in sections:
        result.update(bench.run_engine_bench(quick=quick))
    return result
