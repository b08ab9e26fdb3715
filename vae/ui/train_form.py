"""The Train page's hyperparameter form: widgets -> validated ModelConfig / TrainConfig.

Widget values persist across page switches (``persist_state="session"``), so
a user who checks the Data page and comes back finds their settings.
Settings are validated by the config classes themselves; the form only
parses text (layer sizes) and reports the first problem as a message.

Every field comes from the settings schema (``vae.settings``, declared in vae/config.py):
a setting's section and widget say where and how it is drawn, two to a row in declaration
order; the Advanced expander holds the rarely changed ones (latent size, decoder std, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from vae.config import ModelConfig, TrainConfig, budget_in_words, default_epochs
from vae.settings import SECTIONS, Setting
from vae.ui import settings_form
from vae.ui.settings_form import SETTINGS

PREFIX = "tr_"  # a setting's widget key is PREFIX + its URL name: "tr_lr", "tr_batch_size"


def key(s: Setting) -> str:
    """The widget key of a setting."""
    return PREFIX + s.name


# Widget key -> default: every setting's own default (the textbook "Classic").
DEFAULTS: dict[str, Any] = {key(s): settings_form.to_widget(s, s.default)[0] for s in SETTINGS}
EPOCHS_KEY, BATCH_KEY, SPLIT_KEY = "tr_epochs", "tr_batch_size", "tr_val_split"

PRESETS: dict[str, dict[str, Any]] = {
    # The textbook example (keras-io's VAE): 64-32 / 32-64, Adam 1e-3.
    "Classic": dict(DEFAULTS),
    # Half the units and a 10x learning rate: ~2x fewer FLOPs and fewer epochs (measured fine on two moons).
    "Fast": {**DEFAULTS, "tr_encoder": "32, 16", "tr_decoder": "16, 32", "tr_lr": 1e-2},
    # beta = 4 trades reconstruction for a smoother, more prior-like latent space.
    "β-VAE (β = 4)": {**DEFAULTS, "tr_beta": 4.0, "tr_warmup": 10},
}

PRESET_KEY = "tr_preset"
# bool: the Epochs field follows the data (DEFAULT_STEPS optimizer steps) until the user types
# a number of their own; a preset hands it back to the data.
EPOCHS_AUTO = "tr_epochs_auto"
for _preset in PRESETS.values():
    _preset[EPOCHS_AUTO] = True


@dataclass(frozen=True)
class FormResult:
    """What the form produced: validated settings, or the first error."""

    model_config: ModelConfig | None
    train_config: TrainConfig | None
    error: str | None


def load(
    model_config: ModelConfig, train_config: TrainConfig, source: str, own_budget: bool = True
) -> list[str]:
    """Put every setting of a run, bundle or link into the form, so "Train" trains exactly it.

    Call from a callback or another page (not after the form's widgets were drawn in this run).
    ``source`` says where they came from ("the link", "the run"); with ``own_budget`` the epochs
    are the settings' own (not sized to the data). Returns notes on values the form cannot show
    exactly (snapped to a scale or clipped).
    """
    values, notes = settings_form.form_values(model_config, train_config, PREFIX, source)
    st.session_state.update(values)
    st.session_state[PRESET_KEY] = None  # the form no longer holds a preset
    if own_budget:
        st.session_state[EPOCHS_AUTO] = False
    return notes


def _apply_preset() -> None:
    st.session_state.update(PRESETS.get(st.session_state.get(PRESET_KEY), {}))


def _epochs_chosen() -> None:
    st.session_state[EPOCHS_AUTO] = False


def settings_from(values: dict[str, Any], input_dim: int = 2) -> FormResult:
    """Build the configs from widget values (keys as in ``DEFAULTS``; a missing key is the default)."""
    try:
        model_config, train_config = settings_form.configs_from(values, PREFIX, input_dim)
    except ValueError as exc:
        return FormResult(None, None, str(exc))
    return FormResult(model_config, train_config, None)


def current(input_dim: int) -> FormResult:
    """The settings the form holds now."""
    return settings_from({k: st.session_state.get(k, v) for k, v in DEFAULTS.items()}, input_dim)


def render(
    input_dim: int,
    disabled: bool = False,
    n_rows: int | None = None,
    on_live_change: Callable[[], None] | None = None,
) -> FormResult:
    """Draw the hyperparameter widgets for ``input_dim`` columns and return the validated settings.

    Unless the user chose a number, the Epochs field is sized to ``n_rows`` rows (the default budget
    in optimizer steps, which its caption also says). ``disabled`` greys the widgets out (while a
    training runs) except the learning rate and beta when ``on_live_change`` is given: it is called
    when either changes, and the change applies from the next epoch.
    """
    for name, value in DEFAULTS.items():  # every widget's default, once per session
        st.session_state.setdefault(name, value)
    if n_rows is not None and st.session_state.get(EPOCHS_AUTO, True):
        batch, split = int(st.session_state[BATCH_KEY]), float(st.session_state[SPLIT_KEY])
        st.session_state[EPOCHS_KEY] = default_epochs(n_rows, batch, split)
    persist: Any = {"persist_state": "session"}
    st.segmented_control(
        "Preset",
        list(PRESETS),
        key=PRESET_KEY,
        on_change=_apply_preset,
        disabled=disabled,
        help="Fill in a tried-and-tested set of hyperparameters.",
        **persist,
    )
    values = {s.field: st.session_state.get(key(s)) for s in SETTINGS}
    for section in SECTIONS:
        advanced = section == "Advanced"
        with st.expander("Advanced", key="tr_advanced") if advanced else st.container(border=True):
            if not advanced:
                st.markdown(f"**{section}**")
            row: list[Any] = []  # two to a row in declaration order, a wide one alone
            for s in (s for s in SETTINGS if s.section == section):
                if s.wide:
                    where, row = st, []
                else:
                    row = row or list(st.columns(2))
                    where = row.pop(0)
                live = s.live and on_live_change is not None
                settings_form.draw(
                    s,
                    where,
                    key(s),
                    disabled=(disabled and not live) or not s.applies(values),
                    on_change=on_live_change if live else _epochs_chosen if s.field == "epochs" else None,
                    **persist,
                )
                if s.field == "epochs" and n_rows is not None:
                    epochs, batch = int(st.session_state[EPOCHS_KEY]), int(st.session_state[BATCH_KEY])
                    where.caption(budget_in_words(epochs, n_rows, batch, float(st.session_state[SPLIT_KEY])))
    return current(input_dim)


def default_settings(input_dim: int = 2, n_rows: int | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The Classic preset as configs (used by "train a quick default model"), sized to ``n_rows`` rows."""
    values = dict(DEFAULTS)
    if n_rows is not None:
        values[EPOCHS_KEY] = default_epochs(n_rows, DEFAULTS[BATCH_KEY], DEFAULTS[SPLIT_KEY])
    return settings_form.configs_from(values, PREFIX, input_dim)
