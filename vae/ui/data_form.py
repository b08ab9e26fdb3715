"""The Data page's generator form and its scaling choice, drawn from the settings schema.

Each widget is a data setting declared in vae/config.py (``DataConfig``), with the chosen
preset's own default and bounds (``vae.data.presets.preset_settings``): the same declarations
give the ``train`` command's data options, a link's dataset and the reproduce command. Widgets
forget their values when the user leaves the page, so the page sets them from the active dataset
(a link's, a restored run's) or from the preset's defaults before drawing them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from vae.config import DataConfig
from vae.data.presets import DEFAULT_PRESET, PRESETS, preset_config, preset_settings
from vae.settings import Setting, value_of, with_value
from vae.ui.settings_form import draw, from_widget, to_widget

PRESET_KEY, SCALING_KEY = "data_preset", "data_scaling"
PRESET, SCALING = (s for s in preset_settings(DEFAULT_PRESET) if s.name in ("data", "scaling"))


def key(s: Setting, preset: str) -> str:
    """A generator widget's key; each shape keeps its own values while the page is open ("data_noise_ring")."""
    return f"data_{s.name}_{preset}"


def generator_settings(preset: str) -> list[Setting]:
    """The settings the generator shows for ``preset`` under its Shape, in declaration order."""
    return [s for s in preset_settings(preset) if s.section == "Generate" and s.name != PRESET.name]


def form_values(config: DataConfig) -> dict[str, Any]:
    """Every generator widget's value for a preset dataset's settings (``{key: value}``)."""
    values: dict[str, Any] = {PRESET_KEY: config.preset}
    for s in generator_settings(config.preset):
        value = value_of(config, s)
        values[key(s, config.preset)] = to_widget(s, s.default if value is None else value)[0]
    return values


def config_from(values: Mapping[str, Any], scaling: str) -> DataConfig:
    """The preset dataset that widget values describe (a missing value: the preset's own default)."""
    preset = values[PRESET_KEY]
    config = preset_config(preset).replace(scaling=scaling)
    for s in generator_settings(preset):
        if key(s, preset) in values:
            config = with_value(config, s, from_widget(s, values[key(s, preset)]))
    return config


def render_generator(active: DataConfig | None, scaling: str) -> DataConfig:
    """Draw the Shape and its settings, set from ``active`` (a preset dataset) the first time;
    return the dataset settings the widgets hold."""
    shown = active if active is not None and active.source == "preset" and active.preset in PRESETS else None
    st.session_state.setdefault(PRESET_KEY, (shown or preset_config(DEFAULT_PRESET)).preset)
    draw(PRESET, st, PRESET_KEY)
    preset = st.session_state[PRESET_KEY]
    st.caption(PRESETS[preset].description)
    start = shown if shown is not None and shown.preset == preset else preset_config(preset)
    for widget_key, value in form_values(start).items():
        st.session_state.setdefault(widget_key, value)
    row: list[Any] = []
    for s in generator_settings(preset):
        row = row or list(st.columns(4))  # four to a row
        draw(s, row.pop(0), key(s, preset))
    return config_from(st.session_state, scaling)


def current_scaling(active: DataConfig | None) -> str:
    """The scaling every source builds with: the widget's, else the active dataset's (or the default)."""
    st.session_state.setdefault(SCALING_KEY, active.scaling if active is not None else SCALING.default)
    return st.session_state[SCALING_KEY]


def render_scaling(active: DataConfig, on_change: Callable[[], None]) -> str:
    """The scaling choice of the active dataset (changing it rescales that dataset)."""
    current_scaling(active)
    return draw(SCALING, st, SCALING_KEY, on_change=on_change)
