"""AppTest of the Train page's "Watch speed" control on a real (tiny) training in the warm pool.

Slow motion must change the pace of the run that is training, and full speed must come back.
The bounds hold on a loaded machine: a slowed job trains at most one epoch per fifth of a second
by construction (slower is fine), and a job back at full speed gets 150 epochs ahead of what a
slowed one could have trained in the same time, however long the machine takes.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.app.test_train_page import PAGE, open_train, stop_job, wait_for
from vae.ui import train_live

pytestmark = pytest.mark.slow


def job(at):
    return at.session_state["ll_job"]


def test_watch_speed_slows_the_running_training_and_full_speed_resumes(app_test):
    at = open_train(app_test)
    at.select_slider(key="tr_batch_size").set_value(64).run()
    at.toggle(key="tr_until_paused").set_value(True).run()
    at.button(key="tr_start").click().run()
    try:
        wait_for(at, lambda a: a.session_state["ll_run"].epochs_done >= 20)
        speed = at.get("button_group")
        (control,) = [b for b in speed if b.key == train_live.SPEED]
        assert control.value == "Full speed" and "5 epochs/s" in control.options

        # The clock starts before the click: every epoch from `since` on trained after this moment,
        # however long the loaded machine takes to report the change.
        began = time.monotonic()
        control.set_value("5 epochs/s").run()
        assert not at.exception
        assert job(at).speed == 5.0
        wait_for(at, lambda a: job(a).speed_since is not None)
        since = job(at).speed_since
        assert any(f"5 epochs/s from epoch {since:,} on." == c.value for c in at.caption)
        # Over t seconds the slowed job trains at most 5 t epochs (+1 for the one under way).
        time.sleep(3.0)
        at.run()
        elapsed = time.monotonic() - began
        run = at.session_state["ll_run"]
        assert run.status == "training" and since <= run.epochs_done
        assert run.epochs_done - (since - 1) <= 5.0 * elapsed + 2
        # The progress label measures the new pace, not the average since the start.
        label = at.get("progress")[0].proto.text
        rate = float(re.search(r"([\d.,]+) epochs/s", label).group(1).replace(",", ""))
        assert rate <= 5.0 * 1.3, label

        # Leaving the page and coming back shows the job's speed (the widget forgot its own).
        at.switch_page("pages/home.py").run()
        at.switch_page(PAGE).run()
        (control,) = [b for b in at.get("button_group") if b.key == train_live.SPEED]
        assert control.value == "5 epochs/s" and job(at).speed == 5.0
        began = time.monotonic()
        mark = at.session_state["ll_run"].epochs_done
        control.set_value("Full speed").run()
        assert job(at).speed is None
        # Ahead of slow motion's most (5 epochs/s) by 150 epochs: a wall-clock deadline (150 epochs
        # in 25 s) fails when a loaded machine trains this tiny model at under 6 epochs/s.
        wait_for(
            at,
            lambda a: a.session_state["ll_run"].epochs_done - mark >= 5.0 * (time.monotonic() - began) + 150,
        )
        assert not any("from epoch" in c.value for c in at.caption)
    finally:
        stop_job(at)
