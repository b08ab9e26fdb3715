"""Latency benchmarks of training, measured in a real browser (``python -m vae bench --only latency``).

Benchmarks, not tests: each figure is measured once per run and reported
with its target. The browser figures drive the app as a user does
(Playwright + Debian's Chromium against ``python -m vae app``, as in
``bench.load``) and time with the page's own clock (``performance.now``, ``bench.page_clock``,
from just before the click to the first animation frame that shows the
result):

- ``start_first_epoch_s``: Start -> the live view shows epoch >= 1, for the
  second and later runs of a session (median; the first run is reported on
  its own: the warm pool may still be filling).
- ``pause_s``: Pause -> the page shows "Paused ·", which it does only once
  the worker has confirmed that it stopped (``vae.training.worker``'s ``paused``
  message; the epoch shown is the one it stopped at).
- ``step_s``: Step (while paused) -> the page shows one more epoch.
- ``compare_s``: Compare's five models on two moons, from the click to the
  metrics table (every model trained and scored).
- ``pool_pss_mb``: memory of the server's warm training processes in all
  (proportional set size: the libraries they share are counted once).
- ``server_rss_growth_mb``: the Streamlit process's RSS growth over the runs.
- ``blank_page_crashes``: runs after which the page went blank (Streamlit's
  frontend threw; the benchmark reloads the page, as a user would, and goes on).

Measured in this process, without a browser:

- ``start_worker_s``, ``pause_worker_s`` and ``step_worker_s``: Start, Pause and Step as the
  worker answers them (``bench_worker_controls``), the floor under the browser
  figures.
- ``epochs_per_s_200`` against ``cli_epochs_per_s_200``: epochs/s on 200 rows
  through a pooled worker (several tiny epochs per compiled call) against the
  CLI engine's one call per epoch (``vae.training.fit.fit``), same settings.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from typing import Any

from bench import appserver
from bench.appserver import APP_READY, stop_server
from bench.page_clock import PROGRESS, seconds_until_progress
from vae.training.pool import worker_processes
from vae.training.worker_child import memory_mb

TARGETS = {
    "start_first_epoch_s": ("<=", 1.0, "Start -> first epoch drawn, runs 2+ of a session (median, s)"),
    "pause_s": ("<=", 0.3, "Pause -> training stopped and shown (median, s)"),
    "step_s": ("<=", 0.5, "Step -> the next epoch shown (median, s)"),
    "compare_s": ("<=", 8.0, "Compare: five models on two moons, start to all scored (s)"),
    "speedup_200": (">=", 3.0, "epochs/s on 200 rows: pooled worker vs the CLI engine"),
    "pool_pss_mb": ("<", 1500.0, "memory of the warm pool (2 processes) in all, PSS (MB)"),
    "server_rss_growth_mb": ("<", 50.0, "Streamlit-process RSS growth over the runs (MB)"),
}

_T0 = time.monotonic()


def _say(message: str) -> None:
    """Progress on stderr, so a stall shows where it is."""
    print(f"[latency {time.monotonic() - _T0:6.1f} s] {message}", file=sys.stderr, flush=True)


def _epoch(page) -> int:
    match = re.search(r"Epoch (\d+)", page.locator(PROGRESS).first.inner_text())
    return int(match.group(1)) if match else 0


def _tick(page, key: str, on: bool = True) -> None:
    """Tick (or untick) the ``st.checkbox`` or ``st.toggle`` with this key, as a user does: on its label.

    Its input is visually hidden under the label, so Playwright's ``check()`` retries until its
    timeout ("label intercepts pointer events").
    """
    box = f".st-key-{key} input[type='checkbox']"
    if page.locator(box).is_checked() != on:
        page.locator(f".st-key-{key} label").first.click()
        page.wait_for_function("([box, on]) => document.querySelector(box)?.checked === on", arg=[box, on])


def _wait_idle(page, timeout_ms: float = 60_000) -> None:
    page.wait_for_selector(APP_READY, timeout=timeout_ms)


def bench_browser(runs: int = 20, steps: int = 5, pauses: int = 5) -> dict[str, Any]:
    """The browser figures (see the module docstring)."""
    server, url = appserver.start_server()
    try:
        with appserver.chromium() as browser:
            context = appserver.new_context(browser, timeout_s=120)
            page = context.new_page()
            page.on("crash", lambda *_: _say("the browser tab crashed"))
            page.on("pageerror", lambda error: _say(f"page error: {error}"))
            page.on("console", lambda m: m.type == "error" and _say(f"console error: {m.text[:300]}"))
            _say(f"server up at {url}; opening Train")
            page.goto(f"{url}/train")
            _wait_idle(page)
            page.get_by_role("button", name="Use two moons").click()
            _wait_idle(page)
            time.sleep(1.0)
            rss_start = memory_mb(server.pid).get("rss", float("nan"))
            starts, crashes = [], 0
            for i in range(runs):
                button = page.locator(".st-key-tr_start button").first  # "Start", then "Train again"
                try:
                    starts.append(seconds_until_progress(page, button.click, r"Epoch [1-9]"))
                except TimeoutError:
                    if page.evaluate("() => document.body.innerText.trim()"):
                        raise
                    # Streamlit's frontend threw ("'setIn' cannot be called on an ElementNode") and
                    # left a blank page, as a user would see it: count it, reload as they would.
                    crashes += 1
                    _say("the page went blank; reloading it")
                    page.reload()
                    _wait_idle(page)
                    moons = page.get_by_role("button", name="Use two moons")
                    if moons.count():  # the URL did not bring the dataset back
                        moons.click()
                        _wait_idle(page)
                    continue
                _say(f"run {i + 1}/{runs}: first epoch after {starts[-1]:.3f} s")
                page.wait_for_function(
                    "() => !document.querySelector(\"[data-testid='stProgress']\").innerText.match(/Compiling|Starting/)"
                    " && document.querySelector('.st-key-tr_start button') && "
                    "!document.querySelector('.st-key-tr_start button').disabled",
                    timeout=120_000,
                )
                _wait_idle(page)
            rss_end = memory_mb(server.pid).get("rss", float("nan"))

            # A long run: pause, step, resume, a few times.
            _tick(page, "tr_until_paused", True)
            _wait_idle(page)
            page.locator(".st-key-tr_start button").first.click()
            page.locator(PROGRESS).first.filter(has_text="until you pause").wait_for()
            _say("long run started")
            pause_s, step_s = [], []
            for _ in range(pauses):
                time.sleep(1.0)
                pause = page.get_by_role("button", name="Pause", exact=True)
                pause_s.append(seconds_until_progress(page, pause.click, r"^Paused ·"))
                _say(f"paused after {pause_s[-1]:.3f} s")
                _wait_idle(page)
                for _ in range(steps // pauses or 1):
                    held = _epoch(page)
                    step = page.get_by_role("button", name="Step", exact=True)
                    step_s.append(seconds_until_progress(page, step.click, rf"Epoch {held + 1}\b"))
                    _say(f"stepped {held} -> {held + 1} after {step_s[-1]:.3f} s")
                    _wait_idle(page)
                page.get_by_role("button", name="Resume", exact=True).click()
                _wait_idle(page)
            page.get_by_role("button", name="Stop", exact=True).click()
            _wait_idle(page)
            _tick(page, "tr_until_paused", False)
            _wait_idle(page)

            _say("long run stopped; Compare")
            compare_s = _bench_compare(page)
            _say(f"Compare scored after {compare_s:.2f} s")
            pool = [memory_mb(pid) for pid in worker_processes(server.pid)]
            context.close()
    finally:
        stop_server(server)
    return {
        "first_run_first_epoch_s": round(starts[0], 3),
        "start_first_epoch_s": round(statistics.median(starts[1:]), 3),
        "start_first_epoch_max_s": round(max(starts[1:]), 3),
        "start_runs": len(starts),
        "blank_page_crashes": crashes,
        "pause_s": round(statistics.median(pause_s), 3),
        "pause_max_s": round(max(pause_s), 3),
        "step_s": round(statistics.median(step_s), 3),
        "step_max_s": round(max(step_s), 3),
        "compare_s": round(compare_s, 2),
        "pool_processes": len(pool),
        "pool_pss_mb": round(sum(m.get("pss", 0.0) for m in pool), 1),
        "pool_rss_mb": round(sum(m.get("rss", 0.0) for m in pool), 1),
        "server_rss_start_mb": round(rss_start, 1),
        "server_rss_end_mb": round(rss_end, 1),
        "server_rss_growth_mb": round(rss_end - rss_start, 1),
    }


def _bench_compare(page) -> float:
    """Seconds from "Train the ticked models" (all five ticked) to the metrics table."""
    # The sidebar's link, as a user goes there: page.goto would open a new session, without the dataset.
    nav = page.locator("[data-testid='stSidebarNav']")
    nav.get_by_role("link", name=re.compile("Compare$")).click()
    page.locator(".st-key-ll_cmp_denoising").wait_for()
    for key in ("ll_cmp_denoising", "ll_cmp_sparse", "ll_cmp_beta_vae"):  # Autoencoder and VAE are ticked
        _tick(page, key)
    t0 = page.evaluate("() => performance.now()")
    page.get_by_role("button", name="Train the ticked models").click()
    page.locator(".st-key-ll-compare-metrics").wait_for(timeout=180_000)
    return (page.evaluate("() => performance.now()") - t0) / 1000.0


def bench_epochs_per_s(epochs: int = 2000) -> dict[str, Any]:
    """Epochs/s on 200 rows: a pooled worker vs the CLI engine (one compiled call per epoch)."""
    from vae.config import DataConfig, ModelConfig, TrainConfig
    from vae.data.presets import generate
    from vae.training.pool import pool
    from vae.training.worker import TrainingJob

    x = generate(DataConfig(n_samples=200)).standardized()
    model_config, train_config = ModelConfig(), TrainConfig(epochs=epochs)
    pool().warm()
    job = TrainingJob(x, model_config, train_config)
    job.start()
    times: list[float] = []
    while not job.finished:
        times += [m["received_at"] for m in job.poll() if m["type"] == "epoch"]
        time.sleep(0.05)
    times += [m["received_at"] for m in job.poll() if m["type"] == "epoch"]
    worker_rate = (len(times) - 1) / (times[-1] - times[0])
    pool().shutdown()

    from vae.training.fit import fit  # TensorFlow in this (benchmark) process only, after the worker run

    cli: list[float] = []
    fit(x, model_config, train_config, on_epoch=lambda record: cli.append(time.monotonic()))
    cli_rate = (len(cli) - 1) / (cli[-1] - cli[0])
    return {
        "epochs_per_s_200": round(worker_rate, 1),
        "cli_epochs_per_s_200": round(cli_rate, 1),
        "speedup_200": round(worker_rate / cli_rate, 2),
    }


def bench_worker_controls(repeats: int = 5) -> dict[str, Any]:
    """Pause and Step as the worker answers them, without the page: the browser figures' floor.

    ``start_worker_s``: ``job.start()`` of the default two-moons run on a pooled process to its first
    epoch's message (median of the later jobs; the first reported apart). A pooled job then
    trains 200 rows until paused; ``pause_worker_s`` is from ``job.pause()`` to its
    "paused" message in this process, ``step_worker_s`` from ``job.step()`` to the stepped epoch's
    "paused" message (medians). The rest of ``pause_s`` and ``step_s`` is the page: the click's
    script rerun and drawing the answer.
    """
    from vae.config import DataConfig, ModelConfig, TrainConfig
    from vae.data.presets import generate
    from vae.training.pool import pool
    from vae.training.worker import TrainingJob

    def answered(job, since: float, timeout_s: float = 30.0) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(m["type"] == "paused" for m in job.poll()):
                return time.monotonic() - since
            time.sleep(0.002)
        raise TimeoutError(f"the worker did not confirm within {timeout_s:g} s")

    def first_epoch(job, since: float, timeout_s: float = 120.0) -> float:
        deadline = time.monotonic() + timeout_s
        while not any(m["type"] == "epoch" for m in job.poll()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the worker trained no epoch within {timeout_s:g} s")
            time.sleep(0.002)
        return time.monotonic() - since

    x = generate(DataConfig(n_samples=2000)).standardized()  # the Train page's two moons
    pool().warm()
    starts = []
    for _ in range(repeats + 1):  # the first job may meet a process still warming, or trace
        job = TrainingJob(x, ModelConfig(), TrainConfig())
        t0 = time.monotonic()
        job.start()
        starts.append(first_epoch(job, t0))
        job.stop()
    x = x[:200]
    job = TrainingJob(x, ModelConfig(), TrainConfig(until_paused=True))
    job.start()
    pauses, steps = [], []
    try:
        first_epoch(job, time.monotonic())  # past tracing, as on the page
        for _ in range(repeats):
            job.resume()
            time.sleep(0.5)
            job.poll()
            t0 = time.monotonic()
            job.pause()
            pauses.append(answered(job, t0))
            t0 = time.monotonic()
            job.step()
            steps.append(answered(job, t0))
    finally:
        job.stop()
        pool().shutdown()
    return {
        "start_worker_first_s": round(starts[0], 3),
        "start_worker_s": round(statistics.median(starts[1:]), 3),
        "pause_worker_s": round(statistics.median(pauses), 3),
        "pause_worker_max_s": round(max(pauses), 3),
        "step_worker_s": round(statistics.median(steps), 3),
        "step_worker_max_s": round(max(steps), 3),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Every latency figure (``quick``: fewer runs)."""
    result = bench_browser(runs=6 if quick else 20, steps=3 if quick else 5, pauses=3 if quick else 5)
    result.update(bench_worker_controls(repeats=3 if quick else 10))
    result.update(bench_epochs_per_s(epochs=500 if quick else 2000))
    return result


if __name__ == "__main__":  # pragma: no cover - manual run
    import json

    print(json.dumps(run(quick=True), indent=2))
