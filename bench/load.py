"""Load and soak benchmarks: many browser sessions at once, many trainings in a row.

Benchmarks, not tests: they report numbers (``python -m vae bench`` prints
them); tests/e2e/test_load.py and tests/unit/test_soak.py check the
correctness parts (every session finishes, none sees another's data; file
descriptors and child processes return to their baseline).

- ``bench_sessions(n)``: starts the app server, opens ``n`` Playwright browser
  contexts at once; each generates a different preset, trains it (default
  settings, fewer epochs) and checks that its sidebar names its own dataset and
  no other's. Reports every interaction's time from click to the app's script
  state ``notRunning`` (measured in the browser), the slowest one, and how
  often the server's training cap (``vae.training.pool.MAX_CONCURRENT_JOBS``) asked a
  session to wait.
- ``bench_soak(n)``: ``n`` consecutive trainings through
  ``vae.training.worker.TrainingJob`` in this process, polled like the page does;
  reports RSS, open file descriptors, live children and zombies before/after.

Needs Playwright and Debian's Chromium (/usr/bin/chromium) for
``bench_sessions``; ``bench_soak`` needs only the library.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import appserver
from bench.appserver import APP_READY, stop_server
from vae.training.pool import worker_processes
from vae.training.worker_child import BUSY_NAME

UNSEEN_S = 8.0  # idle and unchanged this long after a click: its run, if any, went unseen
PRESETS = ("two_moons", "circles", "blobs", "spirals", "pinwheel", "checkerboard", "swiss_roll", "ring")

# Installed in every page: counts script runs and stamps the moment each one ends (performance.now).
# It reads every change of the script state from the mutation records: one callback may carry both
# "running" and "notRunning" (a fast run), which the attribute's current value alone would hide.
_OBSERVER = """
(() => {
  if (window.__llObs) return;
  window.__llIdle = 0; window.__llIdleAt = performance.now(); window.__llChangedAt = performance.now();
  const ATTR = 'data-test-script-state';
  const app = () => document.querySelector("[data-testid='stApp']");
  let last = null;
  window.__llObs = setInterval(() => {}, 1 << 30);
  const step = (s) => {
    if (s === last) return;
    if (s === 'notRunning' && last !== null && last !== 'notRunning') {
      window.__llIdle += 1; window.__llIdleAt = performance.now();
    }
    last = s; window.__llChangedAt = performance.now();
  };
  const observe = (records) => {
    for (const r of records) {
      // The value before this change; the value after it is the next record's old value.
      if (r.type === 'attributes' && r.attributeName === ATTR && r.target === app()) step(r.oldValue);
    }
    const el = app(); if (el) step(el.getAttribute(ATTR));
  };
  new MutationObserver(observe).observe(document, {subtree: true, attributes: true, childList: true,
                                                   attributeOldValue: true, attributeFilter: [ATTR]});
  observe([]);
})()
"""


# -- helpers ---------------------------------------------------------------------------------------


def start_server(timeout: float = 120.0) -> tuple[subprocess.Popen, str, Path]:
    """The app (``python -m vae app``) on a free port in its own process group: (process, url, log path)."""
    log = Path(tempfile.mkstemp(prefix="latent-lab-load-", suffix=".log")[1])
    process, url = appserver.start_server(log=log, timeout=timeout)
    return process, url, log


class _Session:
    """One browser context driving the app, with timed interactions."""

    def __init__(self, browser, url: str, preset: str, title: str):
        self.context = appserver.new_context(browser, timeout_s=60)
        self.context.add_init_script(_OBSERVER)
        self.page = self.context.new_page()
        self.url, self.preset, self.title = url, preset, title
        self.timings: list[tuple[str, float]] = []
        self.capacity_waits = 0
        self.timeouts: list[str] = []
        self.retries: list[str] = []  # inputs typed again because the page did not take them
        self.finished = False
        self.sidebar_text = ""
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def wait_ready(self) -> None:
        self.page.wait_for_selector(APP_READY, timeout=120_000)

    def set_epochs(self, epochs: int, tries: int = 3) -> None:
        """Type ``epochs`` into the Train page's Epochs box and press Enter, until the page says so.

        The check is the page's budget caption ("5 epochs on your 2,000 rows ..."), which the
        server draws from the value it received. Counting runs was not enough: once in CI the
        count did not move in 120 s after the Enter. A typing that did not arrive is typed again,
        and ``retries`` counts it.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        box = self.page.get_by_role("spinbutton", name="Epochs", exact=True)
        said = self.page.get_by_text(re.compile(rf"^{epochs:,} epochs on your "))
        for _ in range(tries):
            self.wait_ready()
            box.fill(str(epochs))
            box.press("Enter")
            try:
                said.wait_for(state="visible", timeout=40_000)
                return
            except PlaywrightTimeout:
                self.retries.append(f"epochs {epochs}")
        raise RuntimeError(f"{self.preset}: the Epochs box did not take {epochs} after {tries} tries")

    def timed_click(self, what: str, locator, timeout_ms: float = 120_000) -> float | None:
        """Click, then wait for the script run it triggers to end; ms from click to ``notRunning``.

        A click whose run does not end within ``timeout_ms``, or whose run the page never showed,
        is recorded in ``timeouts`` (None).
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        locator.wait_for(state="visible")
        before = self.page.evaluate("() => [window.__llIdle, performance.now()]")
        locator.click()
        # Done when a run ended since the click; or, for a run the page never showed (a frame may
        # draw a whole fast run at once), when the page has been idle and unchanged for UNSEEN_S.
        ended = f"window.__llIdle > {before[0]}"
        still = f"performance.now() - Math.max(window.__llChangedAt, {before[1]}) > {UNSEEN_S * 1000}"
        try:
            self.page.wait_for_function(
                f'() => document.querySelector("{APP_READY}") !== null && ({ended} || {still})',
                timeout=timeout_ms,
            )
        except PlaywrightTimeout:
            self.timeouts.append(what)
            return None
        if not self.page.evaluate(f"() => {ended}"):
            self.timeouts.append(f"{what} (no run seen)")
            return None
        ms = self.page.evaluate("() => window.__llIdleAt") - before[1]
        self.timings.append((what, ms))
        return ms

    @property
    def sidebar(self):
        return self.page.locator("[data-testid='stSidebar']")


def bench_sessions(n: int = 4, epochs: int = 20, timeout: float = 600.0) -> dict[str, Any]:
    """``n`` browser sessions at once: generate different data, train, check isolation.

    Args:
        n: concurrent browser contexts (at most ``len(PRESETS)``).
        epochs: training epochs per session (default settings otherwise).
        timeout: seconds for the whole benchmark.

    Returns:
        ``{"sessions", "all_finished", "isolated", "slowest_ms", "slowest", "interactions",
        "capacity_waits", "per_session"}``; ``interactions`` lists every timed click
        (ms from click to the script state ``notRunning``).
    """
    from vae.data.presets import DEFAULT_PRESET
    from vae.data.presets import PRESETS as SPECS

    if not 1 <= n <= len(PRESETS):
        raise ValueError(f"n must be in [1, {len(PRESETS)}]. Received: n={n}")
    server, url, log = start_server()
    started = time.monotonic()
    try:
        with appserver.chromium() as browser:
            sessions = [_Session(browser, url, name, SPECS[name].title) for name in PRESETS[:n]]
            # 1. All open the Data page at once.
            for s in sessions:
                s.page.goto(f"{url}/data", wait_until="commit")
            for s in sessions:
                s.wait_ready()
            # 2. Each picks its own preset and uses it.
            for s in sessions:
                s.page.get_by_role("combobox", name="Shape").first.click()
                if s.preset == DEFAULT_PRESET:  # already selected: choosing it again reruns nothing
                    s.page.keyboard.press("Escape")
                else:
                    s.timed_click("choose preset", s.page.get_by_role("option", name=s.title, exact=True))
            for s in sessions:
                s.timed_click("use dataset", s.page.get_by_role("button", name="Use this dataset").first)
            # 3. Train page, fewer epochs, Start (all at once; the server's cap may ask some to wait).
            for s in sessions:
                s.timed_click("open Train", s.page.get_by_role("link", name=re.compile(r"Train$")).first)
            for s in sessions:
                s.set_epochs(epochs)
            pending = list(sessions)
            for s in pending:
                s.timed_click("start", s.page.get_by_role("button", name="Start", exact=True))
            finished_re = re.compile(r"Model: .* · (finished|diverged|stopped|failed)")
            deadline = started + timeout
            while pending and time.monotonic() < deadline:
                for s in list(pending):
                    text = s.sidebar.inner_text()
                    if finished_re.search(text):
                        s.finished = "· finished" in text
                        pending.remove(s)
                    elif "Model:" not in text or "not trained" in text:
                        # Refused by the training cap (a warning says so): try again shortly.
                        if s.page.get_by_text(re.compile("trainings are already running")).count():
                            s.capacity_waits += 1
                        start = s.page.get_by_role("button", name=re.compile(r"^(Start|Train again)"))
                        if start.count() and start.first.is_enabled():
                            s.timed_click("start (retry)", start.first)
                time.sleep(1.0)
            # 4. Isolation: each sidebar names its own dataset and no other session's.
            for s in sessions:
                s.page.wait_for_selector(APP_READY, timeout=60_000)
                s.sidebar_text = s.sidebar.inner_text()
            isolated = all(
                f"Dataset: {s.title}" in s.sidebar_text
                and not any(f"Dataset: {o.title}" in s.sidebar_text for o in sessions if o is not s)
                for s in sessions
            )
            interactions = [(s.preset, what, ms) for s in sessions for what, ms in s.timings]
            slowest = max(interactions, key=lambda t: t[2])
            result = {
                "sessions": n,
                "epochs": epochs,
                "all_finished": all(s.finished for s in sessions),
                "isolated": isolated,
                "slowest_ms": round(slowest[2], 1),
                "slowest": f"{slowest[0]}: {slowest[1]}",
                "interactions": [{"session": a, "what": b, "ms": round(c, 1)} for a, b, c in interactions],
                "capacity_waits": sum(s.capacity_waits for s in sessions),
                "page_errors": sum(len(s.errors) for s in sessions),
                "timeouts": [f"{s.preset}: {what}" for s in sessions for what in s.timeouts],
                "retries": [f"{s.preset}: {what}" for s in sessions for what in s.retries],
                "wall_s": round(time.monotonic() - started, 1),
                "per_session": {
                    s.preset: {
                        "finished": s.finished,
                        "sidebar": s.sidebar_text.split("This session", 1)[-1].strip(),
                    }
                    for s in sessions
                },
            }
            for s in sessions:
                s.context.close()
            return result
    finally:
        stop_server(server)
        with contextlib.suppress(OSError):
            log.unlink()


# -- soak ------------------------------------------------------------------------------------------


def rss_mib() -> float:
    """This process's resident memory (VmRSS), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def child_processes() -> dict[str, list[int]]:
    """This process's children from /proc: ``{"alive": [...], "zombies": [...]}``."""
    me, alive, zombies = os.getpid(), [], []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me:
            (zombies if fields[0] == "Z" else alive).append(int(proc.name))
    return {"alive": alive, "zombies": zombies}


def bench_soak(
    n: int = 30, epochs: int = 5, n_samples: int = 512, poll_s: float = 0.1, jit_compile: bool = True
) -> dict[str, Any]:
    """``n`` consecutive trainings through ``TrainingJob``, like the Train page (start, poll until done).

    The jobs run on the warm pool (``vae.training.pool.pool``), which is shut down
    before and after, so the counts compare like with like; meanwhile the
    pool's memory (proportional set size of its processes) is traced after
    every run: a process recycles itself after a few jobs, so it stays flat.

    Returns:
        RSS (MiB), open file descriptors and child processes before and after,
        zombies after, how many runs completed, seconds per run, and the
        pool's memory after each run.
    """
    from vae.config import DataConfig, ModelConfig, TrainConfig
    from vae.data.presets import generate
    from vae.training.pool import pool
    from vae.training.worker import TrainingJob, active_jobs
    from vae.training.worker_child import memory_mb

    pool().shutdown()
    # Earlier work in this process (other jobs, other tests) may still hold pipes that only the
    # garbage collector closes; counting them "before" would make a clean run look like it freed
    # descriptors it never opened (CI saw 33 before, 24 after).
    gc.collect()

    x = generate(DataConfig(n_samples=n_samples)).standardized()
    model, train = (
        ModelConfig(encoder_units=(16,), decoder_units=(16,)),
        TrainConfig(epochs=epochs, batch_size=64, jit_compile=jit_compile),
    )
    before = {
        "rss_mib": rss_mib(),
        "fds": open_fds(),
        "children": len(child_processes()["alive"]),
        "mp_children": len(multiprocessing.active_children()),
    }
    completed, seconds, rss_trace, pool_trace = 0, [], [], []
    for _ in range(n):
        t0 = time.monotonic()
        job = TrainingJob(x, model, train)
        job.start()
        end = None
        while end is None:
            end = next((m for m in job.poll() if m["type"] in ("done", "error")), None)
            time.sleep(poll_s)
        job.stop()
        completed += end["type"] == "done" and end.get("reason") == "completed"
        seconds.append(time.monotonic() - t0)
        rss_trace.append(round(rss_mib(), 1))
        pool_trace.append(round(sum(memory_mb(p.pid).get("pss", 0.0) for p in pool().processes()), 1))
    pool().shutdown()
    gc.collect()
    children = child_processes()
    after = {
        "rss_mib": rss_mib(),
        "fds": open_fds(),
        "children": len(children["alive"]),
        "mp_children": len(multiprocessing.active_children()),
    }
    return {
        "runs": n,
        "completed": completed,
        "rss_mib_before": round(before["rss_mib"], 1),
        "rss_mib_after": round(after["rss_mib"], 1),
        "rss_mib_trace": rss_trace,
        "pool_pss_mb_trace": pool_trace,
        "pool_pss_mb_max": max(pool_trace, default=float("nan")),
        "fds_before": before["fds"],
        "fds_after": after["fds"],
        "children_before": before["children"],
        "children_after": after["children"],
        "mp_children_after": after["mp_children"],
        "zombies_after": len(children["zombies"]),
        "active_jobs_after": active_jobs(),
        "seconds_per_run": round(sum(seconds) / len(seconds), 2) if seconds else float("nan"),
    }


def busy_workers(server_pid: int) -> list[int]:
    """The server's training processes that are running a job."""
    return [pid for pid, name in worker_processes(server_pid).items() if name == BUSY_NAME.decode()]


def bench_compare_close(timeout: float = 300.0) -> dict[str, Any]:
    """Close a tab in the middle of a Compare run: how long until both its trainings stop.

    Compare trains two models (the default ticks) for 2,000 epochs on two moons; once both
    processes are busy, the browser context closes. The session-end release stops its jobs,
    and their processes go back to the warm pool (idle, no CPU).

    Returns:
        ``{"compare_close_s", "compare_close_busy_before", "compare_close_busy_after"}``;
        ``compare_close_s`` is NaN unless both were busy before and none after.
    """
    server, url, log = start_server()
    try:
        with appserver.chromium() as browser:
            context = appserver.new_context(browser, timeout_s=120)
            page = context.new_page()
            page.goto(f"{url}/compare")
            page.wait_for_selector(APP_READY)
            page.get_by_role("button", name=re.compile("Use two moons")).click()
            page.wait_for_selector(APP_READY)
            epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
            epochs.fill("2000")
            page.get_by_role("button", name="Train the ticked models").click()
            deadline = time.monotonic() + timeout
            while len(busy_workers(server.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            before = len(busy_workers(server.pid))
            started = time.monotonic()
            context.close()
            while busy_workers(server.pid) and time.monotonic() - started < 60:
                time.sleep(0.05)
            seconds = time.monotonic() - started
            after = len(busy_workers(server.pid))
            if before < 2 or after:
                # Not both trainings running when the tab closed, or one outlived it: no
                # figure, so the target reads as missed instead of passing on nothing.
                seconds = math.nan
    finally:
        stop_server(server)
        log.unlink(missing_ok=True)
    return {
        "compare_close_s": round(seconds, 2),
        "compare_close_busy_before": before,
        "compare_close_busy_after": after,
    }


if __name__ == "__main__":  # pragma: no cover - manual run: python -m bench.load [sessions|soak]
    import json

    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    if which in ("sessions", "both"):
        print(json.dumps(bench_sessions(), indent=2))
    if which in ("soak", "both"):
        print(json.dumps(bench_soak(), indent=2))
