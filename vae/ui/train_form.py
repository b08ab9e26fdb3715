"""The Train page's hyperparameter form: widgets -> validated ModelConfig / TrainConfig.

Widget values persist across page switches (``persist_state="session"``), so
a user who checks the Data page and comes back finds their settings. Presets
write their values into the widgets' keys from an ``on_change`` callback.
Settings are validated by the config classes themselves; the form only
parses text (layer sizes) and reports the first problem as a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from vae.config import (
    ACTIVATIONS,
    MAX_LAYERS,
    MAX_UNITS,
    OPTIMIZERS,
    ModelConfig,
    TrainConfig,
    budget_in_words,
    default_epochs,
)

LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
PRESET_NAMES = ("Classic", "Fast", "beta-VAE (beta = 4)")

_MODEL, _TRAIN = ModelConfig(), TrainConfig()
# Widget key -> default. The defaults are the config classes' own (the textbook "Classic").
DEFAULTS: dict[str, Any] = {
    "tr_encoder": "64, 32",
    "tr_decoder": "32, 64",
    "tr_activation": _MODEL.activation,
    "tr_beta": _MODEL.beta,
    "tr_warmup": _TRAIN.kl_warmup_epochs,
    "tr_lr": _TRAIN.learning_rate,
    "tr_batch": _TRAIN.batch_size,
    "tr_epochs": _TRAIN.epochs,
    "tr_until_paused": _TRAIN.until_paused,
    "tr_optimizer": _TRAIN.optimizer,
    "tr_momentum": _TRAIN.momentum,
    "tr_val_split": _TRAIN.validation_split,
    "tr_seed": _TRAIN.seed,
    "tr_patience": _TRAIN.early_stopping_patience,
}

PRESETS: dict[str, dict[str, Any]] = {
    # The textbook example (keras-io's VAE): 64-32 / 32-64, Adam 1e-3.
    "Classic": dict(DEFAULTS),
    # Half the units and a 10x learning rate: ~2x fewer FLOPs and fewer epochs (measured fine on two moons).
    "Fast": {**DEFAULTS, "tr_encoder": "32, 16", "tr_decoder": "16, 32", "tr_lr": 1e-2},
    # beta = 4 trades reconstruction for a smoother, more prior-like latent space.
    "beta-VAE (beta = 4)": {**DEFAULTS, "tr_beta": 4.0, "tr_warmup": 10},
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


def parse_layers(text: str, name: str) -> tuple[int, ...]:
    """Parse "64, 32" into (64, 32).

    Raises:
        ValueError: with a message naming the field, if ``text`` is not
            1 to MAX_LAYERS positive integers separated by commas or spaces.
    """
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise ValueError(f'{name}: give 1 to {MAX_LAYERS} layer sizes, e.g. "64, 32". Received: {text!r}')
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"{name}: layer sizes must be whole numbers separated by commas, "
            f'e.g. "64, 32". Received: {text!r}'
        ) from None
    if not 1 <= len(sizes) <= MAX_LAYERS:
        raise ValueError(f"{name}: use 1 to {MAX_LAYERS} hidden layers. Received: {len(sizes)} ({text!r})")
    if any(not 1 <= s <= MAX_UNITS for s in sizes):
        raise ValueError(f"{name}: each layer needs 1 to {MAX_UNITS} units. Received: {text!r}")
    return sizes


def _apply_preset() -> None:
    preset = st.session_state.get(PRESET_KEY)
    if preset in PRESETS:
        st.session_state.update(PRESETS[preset])


def init() -> None:
    """Give every widget its default once per session (before any is drawn)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def size_budget(n_rows: int) -> None:
    """Size the Epochs field to the default budget in optimizer steps, unless the user chose a number."""
    if st.session_state.get(EPOCHS_AUTO, True):
        batch = int(st.session_state.get("tr_batch", DEFAULTS["tr_batch"]))
        split = float(st.session_state.get("tr_val_split", DEFAULTS["tr_val_split"]))
        st.session_state["tr_epochs"] = default_epochs(n_rows, batch, split)


def _epochs_chosen() -> None:
    st.session_state[EPOCHS_AUTO] = False


def settings_from(values: dict[str, Any], input_dim: int = 2) -> FormResult:
    """Build the configs from widget values (keys as in ``DEFAULTS``)."""
    try:
        model_config = ModelConfig(
            input_dim=input_dim,
            encoder_units=parse_layers(values["tr_encoder"], "Encoder layers"),
            decoder_units=parse_layers(values["tr_decoder"], "Decoder layers"),
            activation=values["tr_activation"],
            beta=float(values["tr_beta"]),
        )
        train_config = TrainConfig(
            epochs=int(values["tr_epochs"]),
            until_paused=bool(values["tr_until_paused"]),
            batch_size=int(values["tr_batch"]),
            learning_rate=float(values["tr_lr"]),
            optimizer=values["tr_optimizer"],
            momentum=float(values["tr_momentum"]),
            validation_split=float(values["tr_val_split"]),
            seed=int(values["tr_seed"]),
            kl_warmup_epochs=int(values["tr_warmup"]),
            early_stopping_patience=int(values["tr_patience"]),
        )
    except ValueError as exc:
        return FormResult(None, None, str(exc))
    return FormResult(model_config, train_config, None)


def render(
    input_dim: int,
    disabled: bool = False,
    n_rows: int | None = None,
    on_live_change: Callable[[], None] | None = None,
) -> FormResult:
    """Draw the hyperparameter widgets and return the validated settings.

    Args:
        input_dim: columns of the dataset (the model's input size).
        disabled: grey out the widgets (while a training runs), except the
            learning rate and beta when ``on_live_change`` is given.
        n_rows: rows of the dataset: the Epochs field is sized to them (``size_budget``)
            and the budget is also said in optimizer steps.
        on_live_change: called when the learning rate or beta changes; these
            two stay editable while training (applied from the next epoch).
    """
    init()
    if n_rows is not None:
        size_budget(n_rows)
    persist: Any = {"persist_state": "session"}
    live: Any = {"on_change": on_live_change, "disabled": disabled and on_live_change is None}
    st.segmented_control(
        "Preset",
        PRESET_NAMES,
        key=PRESET_KEY,
        on_change=_apply_preset,
        disabled=disabled,
        help="Fill in a tried-and-tested set of hyperparameters.",
        **persist,
    )
    with st.container(border=True):
        st.markdown("**Model**")
        c1, c2 = st.columns(2)
        c1.text_input(
            "Encoder layers",
            key="tr_encoder",
            disabled=disabled,
            **persist,
            help=f'Hidden layer sizes from the input inward, e.g. "64, 32" (1-{MAX_LAYERS} layers). '
            "A mean head and a log-variance head follow.",
        )
        c2.text_input(
            "Decoder layers",
            key="tr_decoder",
            disabled=disabled,
            **persist,
            help='Hidden layer sizes from the 2-D code outward, e.g. "32, 64".',
        )
        c1.selectbox(
            "Activation",
            ACTIVATIONS,
            key="tr_activation",
            disabled=disabled,
            **persist,
            help="Non-linearity of the hidden layers. relu is a safe default; tanh gives smoother maps.",
        )
        c2.number_input(
            "beta (KL weight)",
            min_value=0.0,
            max_value=100.0,
            step=0.5,
            key="tr_beta",
            **live,
            **persist,
            help="Loss = reconstruction + beta × KL. 1 is the true ELBO; >1 (beta-VAE) pushes "
            "codes toward the prior (smoother latent plane, blurrier reconstructions).",
        )
        st.number_input(
            "KL warm-up epochs",
            min_value=0,
            max_value=10_000,
            step=5,
            key="tr_warmup",
            disabled=disabled,
            **persist,
            help="Ramp beta from 0 to its value over this many epochs, which helps avoid "
            "posterior collapse. 0 = off.",
        )
    with st.container(border=True):
        st.markdown("**Training**")
        st.select_slider(
            "Learning rate",
            LEARNING_RATES,
            key="tr_lr",
            **live,
            **persist,
            format_func=lambda v: f"{v:g}",
            help="Step size of the optimizer (log scale). Too high diverges (NaN), too low crawls.",
        )
        c1, c2 = st.columns(2)
        c1.selectbox(
            "Optimizer",
            OPTIMIZERS,
            key="tr_optimizer",
            disabled=disabled,
            **persist,
            format_func={"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD + momentum"}.get,
            help="Adam adapts the step per weight and is the usual choice.",
        )
        c2.number_input(
            "Momentum (SGD)",
            min_value=0.0,
            max_value=0.99,
            step=0.05,
            key="tr_momentum",
            disabled=disabled or st.session_state.get("tr_optimizer") != "sgd",
            **persist,
            help="Used by SGD only: how much of the previous step carries over.",
        )
        c1.select_slider(
            "Batch size",
            BATCH_SIZES,
            key="tr_batch",
            disabled=disabled,
            **persist,
            help="Points per gradient step. Smaller = more, noisier steps per epoch.",
        )
        c2.number_input(
            "Epochs",
            min_value=1,
            max_value=100_000,
            step=10,
            key="tr_epochs",
            disabled=disabled,
            on_change=_epochs_chosen,
            **persist,
            help="Passes over the training data. Sized to the data until you type a number: "
            "small datasets get as many optimizer steps as large ones. A preset sizes it again.",
        )
        if n_rows is not None:
            c2.caption(
                budget_in_words(
                    int(st.session_state["tr_epochs"]),
                    n_rows,
                    int(st.session_state["tr_batch"]),
                    float(st.session_state["tr_val_split"]),
                )
            )
        c1.slider(
            "Validation split",
            0.0,
            0.5,
            step=0.05,
            key="tr_val_split",
            disabled=disabled,
            **persist,
            help="Fraction of points held out to check for overfitting (orange curves). 0 = none.",
        )
        c2.number_input(
            "Early stopping patience",
            min_value=0,
            max_value=10_000,
            step=5,
            key="tr_patience",
            disabled=disabled,
            **persist,
            help="Stop after this many epochs without improvement (validation loss if there "
            "is a split). 0 = off.",
        )
        st.toggle(
            "Train until I pause",
            key="tr_until_paused",
            disabled=disabled,
            **persist,
            help="Keep training until you press Pause or Stop, as TensorFlow Playground does; "
            "the epochs above then only pace the progress bar.",
        )
        st.number_input(
            "Seed",
            min_value=0,
            max_value=2**31 - 1,
            step=1,
            key="tr_seed",
            disabled=disabled,
            **persist,
            help="Same seed + same settings = the same run.",
        )
    values = {key: st.session_state.get(key, default) for key, default in DEFAULTS.items()}
    return settings_from(values, input_dim=input_dim)


def default_settings(input_dim: int = 2, n_rows: int | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The Classic preset as configs (used by "train a quick default model"), sized to ``n_rows`` rows."""
    values = dict(DEFAULTS)
    if n_rows is not None:
        values["tr_epochs"] = default_epochs(n_rows, DEFAULTS["tr_batch"], DEFAULTS["tr_val_split"])
    result = settings_from(values, input_dim=input_dim)
    if result.model_config is None or result.train_config is None:
        raise ValueError(f"The default settings are invalid: {result.error}")
    return result.model_config, result.train_config
