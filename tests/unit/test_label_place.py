"""Where a ring's label goes (vae/ui/label_place.js), run in Node as the browser runs it.

The Train page's latent view once wrote "1σ" at a fixed angle, under the data points; the
latent pad (Explore) already placed its ring labels clear of data. Both now run one function.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

UI = Path(__file__).resolve().parents[2] / "vae" / "ui"
NODE = shutil.which("node")
PLOT = {"left": 54, "top": 22, "width": 300, "height": 300}
CENTRE, UNIT = (204.0, 172.0), 60.0  # the prior's origin and 1σ in pixels


def place(data_px: list[list[float]], radius: float, taken: list[list[float]]) -> dict | None:
    script = (UI / "label_place.js").read_text(encoding="utf-8") + (
        f"\nconsole.log(JSON.stringify(placeLabel({json.dumps(PLOT)}, 14, 12, {CENTRE[0]}, {CENTRE[1]}, "
        f"{radius}, {json.dumps(data_px)}, {json.dumps(taken)})));"
    )
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def covered(box: list[float], data_px: np.ndarray) -> int:
    x, y = data_px[:, 0], data_px[:, 1]
    return int(np.sum((x >= box[0] - 3) & (x <= box[2] + 3) & (y >= box[1] - 3) & (y <= box[3] + 3)))


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run the browser script")
def test_ring_labels_go_where_they_cover_no_data_and_not_each_other():
    # Encoded two moons fill the upper right of the plane, where a fixed-angle "1σ" label sat.
    rng = np.random.default_rng(0)
    angle = rng.uniform(-np.pi / 2, 0, 600)
    radius = rng.uniform(0.3, 2.2, 600) * UNIT
    data = np.column_stack([CENTRE[0] + np.cos(angle) * radius, CENTRE[1] + np.sin(angle) * radius])
    fixed = [CENTRE[0] + UNIT * 0.72 + 3, CENTRE[1] - UNIT * 0.72 - 14]  # the old spot, 14 x 12 px
    assert covered([fixed[0], fixed[1], fixed[0] + 14, fixed[1] + 12], data) > 0

    one = place(data.tolist(), UNIT, [])
    two = place(data.tolist(), 2 * UNIT, [one["box"]])
    for spot in (one, two):
        assert spot["covered"] == 0 and covered(spot["box"], data) == 0
        box = spot["box"]
        assert PLOT["left"] < box[0] < box[2] < PLOT["left"] + PLOT["width"]
        assert PLOT["top"] < box[1] < box[3] < PLOT["top"] + PLOT["height"]
    a, b = one["box"], two["box"]
    assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]  # the two labels do not overlap


@pytest.mark.skipif(NODE is None, reason="needs Node.js to run the browser script")
def test_a_ring_outside_the_plot_gets_no_label():
    assert place([], 10 * UNIT, []) is None


def test_one_placement_rule_for_both_planes():
    scripts = [UI / "latent_pad" / "pad.js", UI / "live_plot" / "plot.js"]
    assert all("function placeLabel" not in p.read_text(encoding="utf-8") for p in scripts)
    assert all("placeLabel(" in p.read_text(encoding="utf-8") for p in scripts)
    for module in ("latent_pad", "live_plot"):
        assert 'shared=("label_place.js",)' in (UI / module / "__init__.py").read_text(encoding="utf-8")
