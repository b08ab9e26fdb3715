"""Benchmark: the exact log p(x) by quadrature (vae/core/exact.py) — its speed, its error, the bounds.

``python -m vae bench --only exact`` trains the default VAE on two moons (the
app's defaults: 2,000 points, sigma_x = 0.1; by the CLI, in a child process)
and, in the same run:

- times one point as the pages ask for it (``point_truth``: exact log p(x),
  analytic ELBO, IWAE K=64 and the true posterior; target 20 ms, median over
  points) and 500 held-out points (``log_likelihood``; target 2 s, best of 3);
- measures the error against one wide, fine grid (1201 x 1201 over [-6, 6]^2,
  spacing 0.01) on 200 points, and how often the stated error covered it;
- shows the bounds closing in: the mean ELBO and IWAE(K) against the exact mean.

Timings are of this process's NumPy, which has no TensorFlow in it (as the
Streamlit process has none); on a machine shared with other work they are
upper bounds.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from vae.core import exact, losses
from vae.core.decode import NetworkWeights, decode, encode

ONE_POINT_TARGET_MS = 20.0
BATCH_TARGET_S = 2.0
BATCH_POINTS = 500
IWAE_KS = (1, 64, 1024)


def _trained(quick: bool) -> tuple[NetworkWeights, np.ndarray, float]:
    """The default VAE on two moons, trained by the CLI in a child process.

    This process stays free of TensorFlow, as the Streamlit process is: TensorFlow's
    idle thread pools would otherwise share the CPU with the timed NumPy.
    """
    from vae.storage.bundle_load import load_bundle

    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "moons.zip"
        epochs = "20" if quick else "100"
        command = [sys.executable, "-m", "vae", "train", "--epochs", epochs, "--out", str(bundle), "--quiet"]
        subprocess.run(command, check=True, capture_output=True)
        run, dataset = load_bundle(bundle.read_bytes())
    return run.weights, dataset.standardized().astype(np.float64), run.model_config.decoder_std


def wide_grid_log_px(weights: NetworkWeights, x: np.ndarray, sigma: float, steps: int = 1201) -> np.ndarray:
    """log p(x) on one grid over [-6, 6]^2 shared by all points: slow, simple, the reference."""
    axis = np.linspace(-6.0, 6.0, steps)
    z1, z2 = np.meshgrid(axis, axis)
    nodes = np.stack([z1.ravel(), z2.ravel()], axis=1)
    x_hat = decode(weights, nodes.astype(np.float32)).astype(np.float64)
    log_prior = losses.log_prior(nodes)
    log_area = 2 * math.log(axis[1] - axis[0])
    out = []
    for row in x:
        log_joint = losses.gaussian_log_likelihood(row, x_hat, sigma) + log_prior
        peak = log_joint.max()
        out.append(peak + math.log(np.exp(log_joint - peak).sum()) + log_area)
    return np.asarray(out)


def bench_exact(quick: bool = False) -> dict[str, Any]:
    """Speed and accuracy of ``vae.core.exact`` on a trained two-moons VAE.

    Args:
        quick: 20 training epochs, 20 timed points, 50 checked against the wide grid.

    Returns:
        ``exact_one_point_ms`` (median), ``exact_500_points_s`` (best of 3), the same in
        CPU time of this process (``_cpu_``: what they cost on an idle machine; the
        work is on one thread), the load average while they ran,
        ``exact_max_error_nats``, ``exact_mean_error_nats``, ``exact_error_covered``
        (share of points whose stated error covered the measured one), and the mean
        ``exact_log_px``, ``exact_elbo`` and ``exact_iwae_<K>`` over the batch.
    """
    weights, x, sigma = _trained(quick)
    rng = np.random.default_rng(0)
    batch = x[rng.permutation(len(x))[:BATCH_POINTS]]
    one, one_cpu = [], []
    for row in batch[: 20 if quick else 100]:
        start, start_cpu = time.perf_counter(), time.process_time()
        exact.point_truth(weights, row, sigma)
        one.append(time.perf_counter() - start)
        one_cpu.append(time.process_time() - start_cpu)
    runs, runs_cpu = [], []
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = exact.log_likelihood(weights, batch, sigma)
        runs.append(time.perf_counter() - start)
        runs_cpu.append(time.process_time() - start_cpu)
    checked = batch[: 50 if quick else 200]
    error = result.log_px[: len(checked)] - wide_grid_log_px(weights, checked, sigma)
    z_mean, z_log_var = encode(weights, batch.astype(np.float32))
    iwae = {
        f"exact_iwae_{k}": float(
            np.mean(
                losses.iwae_bound(
                    batch.astype(np.float32), lambda z: decode(weights, z), z_mean, z_log_var, sigma, k=k
                )
            )
        )
        for k in IWAE_KS
    }
    return {
        "exact_one_point_ms": round(float(np.median(one)) * 1e3, 2),
        "exact_500_points_s": round(min(runs), 3),
        "exact_one_point_cpu_ms": round(float(np.median(one_cpu)) * 1e3, 2),
        "exact_500_points_cpu_s": round(min(runs_cpu), 3),
        "exact_load_average": round(os.getloadavg()[0], 1),
        "exact_checked_points": len(checked),
        "exact_max_error_nats": float(np.max(np.abs(error))),
        "exact_mean_error_nats": float(np.mean(error)),
        "exact_error_covered": float(np.mean(np.abs(error) <= result.error[: len(checked)])),
        "exact_log_px": float(np.mean(result.log_px)),
        "exact_elbo": float(np.mean(result.elbo)),
        **iwae,
    }


def format_markdown(result: dict[str, Any]) -> list[str]:
    """The "Exact log-likelihood" section of BENCHMARKS.md."""
    lines = [
        "## Exact log-likelihood (vae/core/exact.py)",
        "",
        "The default VAE trained on two moons; log p(x) by quadrature over the 2-D latent plane. "
        f"One point as the pages ask for it (exact log p(x), ELBO, IWAE K=64, true posterior; target "
        f"{ONE_POINT_TARGET_MS:g} ms) and {BATCH_POINTS} points as Compare scores them (target "
        f"{BATCH_TARGET_S:g} s).",
        "",
        "| figure | wall time | CPU time |",
        "|---|---|---|",
        f"| one point (median) | {result['exact_one_point_ms']:.1f} ms | {result['exact_one_point_cpu_ms']:.1f} ms |",
        f"| {BATCH_POINTS} points (best of 3) | {result['exact_500_points_s']:.2f} s | "
        f"{result['exact_500_points_cpu_s']:.2f} s |",
        "",
        f"Load average while timed: {result['exact_load_average']:g} on {os.cpu_count()} cores. The work "
        "runs on one thread (vae/core/exact.py holds BLAS to one), so its CPU time is what it takes on an "
        "idle machine; the wall time counts the other processes too.",
        "",
        "| accuracy | value |",
        "|---|---|",
        f"| largest error vs a 1201² grid over [-6, 6]² ({result['exact_checked_points']} points) | "
        f"{result['exact_max_error_nats']:.2g} nats |",
        f"| mean error | {result['exact_mean_error_nats']:.1g} nats |",
        f"| points whose stated error covered the measured one | {100 * result['exact_error_covered']:.0f}% |",
        "",
        "The bounds against the truth (mean over the points, nats): ELBO "
        f"{result['exact_elbo']:.3f} (its expectation, by quadrature) ≤ "
        + " ≤ ".join(f"IWAE K={k} {result[f'exact_iwae_{k}']:.3f}" for k in IWAE_KS[1:])
        + f" ≤ exact log p(x) {result['exact_log_px']:.3f}; IWAE K=1 (a one-sample ELBO) "
        f"{result['exact_iwae_1']:.3f}.",
    ]
    return lines


if __name__ == "__main__":
    print(bench_exact(quick=True))
