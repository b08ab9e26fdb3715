"""Log-axis ticks for the loss charts: whole 1-2-5 numbers, never bare leading digits."""

from __future__ import annotations

import math

from vae.ui.axes import log_axis


def shown(axis: dict, lo: float, hi: float) -> list[str]:
    return [text for value, text in zip(axis["tickvals"], axis["ticktext"], strict=True) if lo <= value <= hi]


def test_a_loss_falling_from_100_to_6_is_labelled_with_1_2_5_numbers():
    axis = log_axis([98.0, 40.0, 12.0, 6.03])
    assert axis["type"] == "log"
    assert shown(axis, 6.03, 98.0) == ["10", "20", "50"]


def test_a_narrow_span_gets_denser_whole_ticks():
    axis = log_axis([5.5, 6.2, 8.4])
    assert shown(axis, 5.5, 8.4) == ["6", "7", "8"]


def test_many_decades_get_powers_of_ten_only():
    axis = log_axis([1e-4, 1.0, 3e3])
    assert shown(axis, 1e-4, 3e3) == ["0.0001", "0.001", "0.01", "0.1", "1", "10", "100", "1,000"]


def test_small_values_and_junk():
    assert shown(log_axis([0.012, 0.3, 0.0, -1.0, math.nan, math.inf]), 0.012, 0.3) == [
        "0.02",
        "0.05",
        "0.1",
        "0.2",
    ]
    assert log_axis([]) == {"type": "log"}
    assert log_axis([-2.0, 0.0]) == {"type": "log"}
    assert log_axis([6.1, 6.2]) == {"type": "log"}  # a sliver: Plotly's own ticks
