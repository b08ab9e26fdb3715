"""Streamlit glue for shareable links: settings <-> ``st.query_params``.

``read_query_params()`` runs once per browser session when the app starts: it
turns the link's parameters (``vae.share``) into the active preset dataset and
the Train form's values, and says which parameters it ignored and why.
``sync_query_params()`` runs on every rerun afterwards and keeps the address
bar showing the current settings, so copying the URL shares them (as in
TensorFlow Playground). Only Latent Lab's own parameter names are touched.

app.py calls, after ``st.navigation`` and before ``page.run()``::

    share.read_query_params()
    share.sync_query_params()
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from vae import share
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.dataset import DataError
from vae.data.presets import generate
from vae.share import SharedSettings
from vae.ui import state, train_form
from vae.ui.text import plain

APPLIED = "ll_share_applied"  # bool: this session has read its link
SHARED = "ll_shared"  # SharedSettings | None: what the link held (for pages that want to know)


# Link parameter -> the Train form's widget (the form has no control for kind, latent_dim, ...).
FORM_KEYS = {
    "encoder": "tr_encoder",
    "decoder": "tr_decoder",
    "activation": "tr_activation",
    "beta": "tr_beta",
    "warmup": "tr_warmup",
    "lr": "tr_lr",
    "batch_size": "tr_batch",
    "epochs": "tr_epochs",
    "optimizer": "tr_optimizer",
    "momentum": "tr_momentum",
    "val_split": "tr_val_split",
    "seed": "tr_seed",
    "patience": "tr_patience",
}
FORM_PARAMS = frozenset(FORM_KEYS)


def _nearest(value: float, choices: tuple, log: bool) -> Any:
    key = (lambda c: abs(math.log(c) - math.log(value))) if log and value > 0 else (lambda c: abs(c - value))
    return min(choices, key=key)


def form_values(
    model_config: ModelConfig, train_config: TrainConfig, given: tuple[str, ...]
) -> tuple[dict[str, Any], list[str]]:
    """The Train form's widget values for the settings a link gave.

    Values the form's sliders cannot show (a learning rate or batch size off
    their scales) snap to the nearest choice, with a note. Settings the form
    has no control for (kind, latent_dim, ...) get no value.

    Returns:
        ``({widget key: value}, notes)``.
    """
    m, t = model_config, train_config
    by_param = {
        "encoder": ", ".join(str(u) for u in m.encoder_units),
        "decoder": ", ".join(str(u) for u in m.decoder_units),
        "activation": m.activation,
        "beta": min(float(m.beta), 100.0),
        "warmup": min(t.kl_warmup_epochs, 10_000),
        "lr": t.learning_rate,
        "batch_size": t.batch_size,
        "epochs": t.epochs,
        "optimizer": t.optimizer,
        "momentum": min(float(t.momentum), 0.99),
        "val_split": float(t.validation_split),
        "seed": t.seed,
        "patience": min(t.early_stopping_patience, 10_000),
    }
    values: dict[str, Any] = {}
    notes: list[str] = []
    for name in given:
        if name not in by_param:
            continue
        key, value = FORM_KEYS[name], by_param[name]
        if key == "tr_lr" and value not in train_form.LEARNING_RATES:
            snapped = _nearest(value, train_form.LEARNING_RATES, log=True)
            notes.append(
                f"The learning rate {value:g} from the link is not on the Train page's scale; "
                f"using {snapped:g}."
            )
            value = snapped
        if key == "tr_batch" and value not in train_form.BATCH_SIZES:
            snapped = _nearest(value, train_form.BATCH_SIZES, log=True)
            notes.append(
                f"The batch size {value} from the link is not on the Train page's scale; using {snapped}."
            )
            value = snapped
        values[key] = value
    if "tr_epochs" in values:
        values[train_form.EPOCHS_AUTO] = False  # the link's own budget, not one sized to the data
    return values, notes


def read_query_params() -> SharedSettings | None:
    """Apply the link's settings once per session (call from app.py before the page runs).

    Restores the preset dataset (made the active dataset) and the Train
    form's hyperparameters. Ignored parameters are listed in one
    ``st.warning``; nothing raises.

    Returns:
        What the link held, the first time in a session it names any Latent
        Lab setting; else None.
    """
    if st.session_state.get(APPLIED):
        return None
    st.session_state[APPLIED] = True
    params = st.query_params.to_dict()
    if not any(name in share.KNOWN for name in params):
        return None
    shared = share.from_params(params)
    notes = list(shared.warnings)
    if shared.data_config is not None:
        try:
            state.set_dataset(generate(shared.data_config))
        except (DataError, ValueError) as err:
            notes.append(f"Could not build the dataset from the link: {err}")
    values, snapped = form_values(shared.model_config, shared.train_config, shared.given)
    st.session_state.update(values)
    notes += snapped
    st.session_state[SHARED] = shared
    # Count what was applied, not what the link named: the dataset's settings if it was built,
    # and the Train form's. The rest (kind, latent_dim, decoder_std, ...) has no control there.
    data_names = [n for n in shared.given if n in share.DATA_PARAMS] if state.get_dataset() else []
    form_names = [n for n in shared.given if n in FORM_PARAMS]
    not_applied = [n for n in shared.given if n not in share.DATA_PARAMS and n not in FORM_PARAMS]
    if not_applied:
        notes.append(
            f"The Train page has no control for {', '.join(not_applied)}, so the link's "
            f"{'value was' if len(not_applied) == 1 else 'values were'} not applied "
            "(python -m vae train takes them)."
        )
    restored = len(data_names) + len(form_names)
    if restored:
        st.toast(f"Restored {restored} setting(s) from the link.", icon="🔗")
    if notes:
        st.warning(
            "Some settings in the link were not used:\n\n" + "\n\n".join(f"- {plain(n)}" for n in notes[:8]),
            icon="⚠️",
        )
    return shared


def current_settings() -> tuple[DataConfig | None, ModelConfig | None, TrainConfig | None]:
    """The settings the address bar should show: the active preset and the Train form (or the run)."""
    dataset, run = state.get_dataset(), state.get_run()
    data_config = dataset.config if dataset is not None else None
    model_config = run.model_config if run is not None else None
    train_config = run.train_config if run is not None else None
    if any(key in st.session_state for key in train_form.DEFAULTS):
        values = {key: st.session_state.get(key, default) for key, default in train_form.DEFAULTS.items()}
        form = train_form.settings_from(values)
        if form.model_config is not None and form.train_config is not None:
            # The form lacks some settings (kind, decoder_std, ...): keep the run's.
            base_model = model_config or ModelConfig()
            fields = ("encoder_units", "decoder_units", "activation", "beta")
            model_config = base_model.replace(**{f: getattr(form.model_config, f) for f in fields})
            base_train = train_config or TrainConfig()
            train_fields = (
                "epochs",
                "batch_size",
                "learning_rate",
                "optimizer",
                "momentum",
                "validation_split",
                "seed",
                "kl_warmup_epochs",
                "early_stopping_patience",
            )
            train_config = base_train.replace(**{f: getattr(form.train_config, f) for f in train_fields})
    return data_config, model_config, train_config


def write_query_params(
    data_config: DataConfig | None, model_config: ModelConfig | None, train_config: TrainConfig | None
) -> None:
    """Show these settings in the address bar (only Latent Lab's parameters change)."""
    wanted = share.to_params(data_config, model_config, train_config)
    current = {k: v for k, v in st.query_params.to_dict().items() if k in share.KNOWN}
    if current == wanted:
        return  # each write updates the browser's URL; skip the no-ops
    for key in current:
        if key not in wanted:
            del st.query_params[key]
    for key, value in wanted.items():
        if current.get(key) != value:
            st.query_params[key] = value


def sync_query_params() -> None:
    """Keep the address bar in step with the session's settings (call on every rerun)."""
    if not st.session_state.get(APPLIED):
        return  # the link has not been read yet: do not overwrite it
    write_query_params(*current_settings())
