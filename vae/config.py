"""Validated settings: one frozen dataclass per concern.

Settings enter the library only through these classes. Each validates itself
once in ``__post_init__`` and raises ``ValueError`` naming the field, the value
received and what is allowed, Keras style:
``"learning_rate must be in (0, 1]. Received: learning_rate=0"``.
``to_dict`` / ``from_dict`` give a JSON-safe round trip for bundles, URLs and
the worker process; ``from_dict`` rejects unknown keys.

Longer than 400 lines: it is the settings schema's declarations (``vae.settings``), one
``setting(...)`` per hyperparameter and per data setting with its label, help, range and
widget, so that adding one touches this file and the code that uses it; splitting them would
scatter the schema.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from vae.settings import (
    MAX_LAYERS,
    check_choice,
    check_int,
    fail,
    setting,
    validate,
)

Activation = Literal["relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "swish"]
Optimizer = Literal["adam", "rmsprop", "sgd"]
ModelKind = Literal["vae", "ae", "denoising", "sparse"]
Scaling = Literal["zscore", "minmax", "none"]
MissingValues = Literal["drop", "median"]  # rows with a missing value: drop them, or fill the cell
DataSource = Literal["preset", "upload", "drawn"]

SCALINGS: tuple[str, ...] = get_args(Scaling)
DATA_SOURCES: tuple[str, ...] = get_args(DataSource)

MAX_EPOCHS = 100_000
MAX_INPUT_DIM = 4096
# The default training budget, in optimizer steps: what two moons (2,000 rows, batch 128: 15 steps
# per epoch) gets in 60 epochs, about a second of training. Sized in steps, not epochs, so small
# data get as many updates as large: 60 epochs of iris (150 rows) were 60 steps and ended at
# loss 51.7 and still falling steeply; 900 steps end at 10.0 (wine: 355.8 -> 147).
DEFAULT_STEPS = 900
# The Train form's scales (log-spaced, as TensorFlow Playground's); a value off them snaps to the nearest.
LEARNING_RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
KIND_LABELS = {"vae": "VAE", "ae": "Autoencoder", "denoising": "Denoising AE", "sparse": "Sparse AE"}
SCALING_LABELS = {
    "zscore": "z-score (mean 0, std 1)",
    "minmax": "min-max (0 to 1)",
    "none": "none (raw values)",
}
MISSING_LABELS = {"drop": "Drop those rows", "median": "Fill with the column median"}


class _Settings:
    """Shared dict round trip for the frozen settings dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]):
        if not isinstance(values, dict):
            raise ValueError(f"{cls.__name__} settings must be a mapping. Received: {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"{cls.__name__} has no setting named {', '.join(map(repr, unknown))}. "
                f"Known: {', '.join(sorted(known))}"
            )
        cleaned = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**cleaned)

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class ModelConfig(_Settings):
    """Architecture and objective of one autoencoder.

    All variants share the same encoder (two heads: mean and log-variance) and
    decoder; they differ only in loss and sampling (``kind``). Each setting is
    declared once here (``vae.settings``): forms, links, the CLI and bundles derive from it.
    """

    input_dim: int = 2  # D, columns of the data (the dataset decides it: no setting of its own)
    latent_dim: int = setting(
        2,  # the latent pad is a plane, so 2
        "Latent size",
        "Dimensions of the code z. The latent plane shows two of them at a time; 2 is the main case.",
        "Advanced",
        "number",
        low=1,
        high=16,
        step=1,
    )
    encoder_units: tuple[int, ...] = setting(
        (64, 32),  # the textbook example's sizes
        "Encoder layers",
        f'Hidden layer sizes from the input inward, e.g. "64, 32" (1-{MAX_LAYERS} layers). '
        "A mean head and a log-variance head follow.",
        "Model",
        "text",
        name="encoder",
    )
    decoder_units: tuple[int, ...] = setting(
        (32, 64),
        "Decoder layers",
        'Hidden layer sizes from the code outward, e.g. "32, 64".',
        "Model",
        "text",
        name="decoder",
    )
    activation: Activation = setting(
        "relu",
        "Activation",
        "Non-linearity of the hidden layers. relu is a safe default; tanh gives smoother maps.",
        "Model",
        "select",
    )
    kind: ModelKind = setting(
        "vae",
        "Model kind",
        "What the loss asks of the code. A VAE's KL term shapes the latent plane; the plain, "
        "denoising and sparse autoencoders have none (Compare trains them side by side).",
        "Advanced",
        "select",
        choice_labels=KIND_LABELS,
    )
    beta: float = setting(
        1.0,  # KL weight; 1 is the ELBO, >1 a beta-VAE
        "β (KL weight)",
        "Beta: loss = reconstruction + β × KL. 1 is the true ELBO; >1 (a β-VAE) pushes codes toward "
        "the prior (smoother latent plane, blurrier reconstructions).",
        "Model",
        "number",
        low=0.0,
        high=1000.0,
        form_high=100.0,
        step=0.5,
        when=("kind", "vae"),
        live=True,
    )
    # Std of the Gaussian decoder p(x|z) in standardized units. 1.0 would make a
    # 2-D latent code worth less than its KL cost on 2-D data (posterior collapse);
    # 0.1 lets the model resolve the shape of typical toy data.
    decoder_std: float = setting(
        0.1,
        "Decoder std σ",
        "Std of the Gaussian decoder p(x|z), in standardized units. Small values make each point's "
        "reconstruction worth more than its KL cost; 1.0 on 2-D data lets the code collapse onto "
        "the prior (posterior collapse, see Learn).",
        "Advanced",
        "number",
        low=0.0,
        low_open=True,
        high=100.0,
        form_low=0.001,
        step=0.05,
        fmt="%.3f",
    )
    noise_std: float = setting(
        0.2,
        "Noise level",
        "The denoising autoencoder sees x + Gaussian noise and must reconstruct x. The noise's "
        "standard deviation σ, in standardized units (1 = one standard deviation of the data).",
        "Advanced",
        "number",
        low=0.0,
        high=100.0,
        step=0.05,
        when=("kind", "denoising"),
    )
    sparsity: float = setting(
        0.01,
        "L1 weight λ",
        "The sparse autoencoder adds λ·|z|₁ to its loss, pushing codes towards 0.",
        "Advanced",
        "number",
        low=0.0,
        high=1000.0,
        form_high=100.0,
        step=0.01,
        fmt="%.3f",
        when=("kind", "sparse"),
    )

    def __post_init__(self) -> None:
        check_int("input_dim", self.input_dim, 2, MAX_INPUT_DIM)
        validate(self)

    @property
    def is_variational(self) -> bool:
        return self.kind == "vae"

    @property
    def label(self) -> str:
        if self.kind != "vae":
            return KIND_LABELS[self.kind]
        return "VAE" if self.beta == 1.0 else f"β-VAE (β={self.beta:g})"


@dataclass(frozen=True)
class TrainConfig(_Settings):
    """How to train: optimizer, budget, schedule and safety rails (declared in the Train form's order)."""

    learning_rate: float = setting(
        1e-3,
        "Learning rate",
        "Step size of the optimizer (log scale). Too high diverges (NaN), too low crawls.",
        "Training",
        "select_slider",
        name="lr",
        low=0.0,
        low_open=True,
        high=1.0,
        scale=LEARNING_RATES,
        live=True,
        wide=True,
    )
    optimizer: Optimizer = setting(
        "adam",
        "Optimizer",
        "Adam adapts the step per weight and is the usual choice.",
        "Training",
        "select",
        choice_labels={"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD + momentum"},
    )
    momentum: float = setting(
        0.9,
        "Momentum",
        "Momentum of SGD (used by SGD only): how much of the previous step carries over.",
        "Training",
        "number",
        low=0.0,
        high=1.0,
        high_open=True,
        form_high=0.99,
        step=0.05,
        when=("optimizer", "sgd"),
    )
    batch_size: int = setting(
        128,
        "Batch size",
        "Points per gradient step. Smaller = more, noisier steps per epoch.",
        "Training",
        "select_slider",
        low=1,
        high=1_000_000,
        scale=BATCH_SIZES,
    )
    epochs: int = setting(
        60,  # default_epochs(2,000 rows); the app and the CLI size it to the data
        "Epochs",
        "Passes over the training data. Unless you choose a number, it is sized to the data: "
        "small datasets get as many optimizer steps as large ones.",
        "Training",
        "number",
        low=1,
        high=MAX_EPOCHS,
        step=10,
    )
    validation_split: float = setting(
        0.0,  # fraction held out, 0 = none
        "Validation split",
        "Fraction of points held out to check for overfitting (orange curves). 0 = none.",
        "Training",
        "slider",
        name="val_split",
        low=0.0,
        high=0.5,
        step=0.05,
    )
    early_stopping_patience: int = setting(
        0,
        "Early stopping",
        "Patience in epochs: stop after this many epochs without improvement (validation loss if there "
        "is a split). 0 = off.",
        "Training",
        "number",
        name="patience",
        low=0,
        high=MAX_EPOCHS,
        form_high=10_000,
        step=5,
    )
    # Train until the user pauses or stops (as TensorFlow Playground does); ``epochs`` is then
    # only the scale of the progress bar's first lap.
    until_paused: bool = setting(
        False,
        "Train until I pause",
        "Keep training until you press Pause or Stop, as TensorFlow Playground does; the epochs "
        "above then only pace the progress bar.",
        "Training",
        "toggle",
        wide=True,
        cli=False,  # a terminal run has a budget (Ctrl-C would lose it)
    )
    seed: int = setting(
        0,
        "Seed",
        "Same seed + same settings = the same run.",
        "Training",
        "number",
        low=0,
        high=2**31 - 1,
        step=1,
        wide=True,
    )
    kl_warmup_epochs: int = setting(
        0,
        "KL warm-up epochs",
        "Ramp beta from 0 to its value over this many epochs, which helps avoid posterior collapse. 0 = off.",
        "Model",
        "number",
        name="warmup",
        low=0,
        high=MAX_EPOCHS,
        form_high=10_000,
        step=5,
        when=("kind", "vae"),
        wide=True,
    )
    clip_norm: float = setting(
        10.0,  # a rail against blow-ups
        "Gradient clip norm",
        "The global norm of each step's gradient is clipped to this, a rail against blow-ups.",
        "Advanced",
        "number",
        low=0.0,
        low_open=True,
        high=1e6,
        form_low=0.01,
        step=1.0,
    )
    # Allow XLA: ~2.3x faster per step for these tiny networks on CPU, but ~3 s to
    # compile, so the engine uses it only for runs of >= 1M samples (engine.XLA_MIN_SAMPLES).
    jit_compile: bool = setting(
        True,
        "Compile long runs with XLA",
        "About 2.3x faster per step, but about 3 s to compile: used only for runs of a million "
        "samples or more. Off: never.",
        "Advanced",
        "toggle",
        name="xla",
        wide=True,
    )

    def __post_init__(self) -> None:
        validate(self)

    def split_sizes(self, n_rows: int) -> tuple[int, int]:
        """Rows used for training and validation out of ``n_rows``."""
        n_val = int(round(n_rows * self.validation_split))
        if self.validation_split > 0:
            n_val = max(n_val, 1)
        return n_rows - n_val, n_val

    def steps_per_epoch(self, n_rows: int) -> int:
        """Optimizer steps of an epoch on ``n_rows`` rows (the engine drops the last partial batch)."""
        return max(self.split_sizes(n_rows)[0] // self.batch_size, 1)

    def check_against_data(self, n_rows: int) -> None:
        """Raise ``ValueError`` if these settings cannot train on ``n_rows`` rows."""
        n_train, _ = self.split_sizes(n_rows)
        if n_train < 2:
            raise ValueError(
                f"Training needs at least 2 rows after the validation split. "
                f"Received: {n_rows} rows with validation_split={self.validation_split}"
            )
        if self.batch_size > n_train:
            raise ValueError(
                f"batch_size must not exceed the {n_train:,} training rows. "
                f"Received: batch_size={self.batch_size}. Lower the batch size "
                f"(or the validation split), or use more data."
            )


def default_epochs(n_rows: int, batch_size: int = 128, validation_split: float = 0.0) -> int:
    """Epochs that give ``DEFAULT_STEPS`` optimizer steps on ``n_rows`` rows (the default budget).

    Example: 60 on 2,000 rows at batch 128 (15 steps an epoch); 900 on 150 rows (1 step).
    """
    steps = TrainConfig(batch_size=batch_size, validation_split=validation_split).steps_per_epoch(n_rows)
    return min(max(math.ceil(DEFAULT_STEPS / steps), 1), MAX_EPOCHS)


def fitting_batch_size(n_train: int) -> int:
    """The default batch size, or all ``n_train`` training rows when there are fewer.

    Example: 128 on two moons; 120 on iris after Compare holds out 20% of its 150 rows, where
    the default 128 could not train at all.
    """
    return max(min(TrainConfig().batch_size, n_train), 1)


def budget_in_words(epochs: int, n_rows: int, batch_size: int, validation_split: float = 0.0) -> str:
    """A budget as a user reads it: "900 epochs on your 150 rows ≈ 900 optimizer steps"."""
    steps = epochs * TrainConfig(batch_size=batch_size, validation_split=validation_split).steps_per_epoch(
        n_rows
    )
    return f"{epochs:,} epochs on your {n_rows:,} rows ≈ {steps:,} optimizer steps of {batch_size} rows each"


@dataclass(frozen=True)
class DataConfig(_Settings):
    """Where a dataset came from and how it is scaled (enough to rebuild a preset).

    Its settings are declared here once, as the hyperparameters are (``vae.settings``): the
    ``train`` command's data options, a link's dataset, the reproduce command and the Data
    page's generator derive from them. A preset's own default and bounds (its noise, the
    digits' 1,797 images) come from its spec in vae/data/presets.py, named by ``per_preset``.
    """

    source: DataSource = "preset"  # the Data page's tab, or --data naming a file: no setting of its own
    preset: str = setting(
        "two_moons",
        "Shape",
        "The generated dataset: a seeded shape such as two moons, spirals or the 8x8 digits.",
        "Generate",
        "select",
        name="data",
        cli_help="A preset name (two_moons, circles, blobs, spirals, pinwheel, checkerboard, swiss_roll, "
        "ring, digits) or a CSV/TSV path.",
    )
    n_samples: int = setting(
        2000,
        "Number of points",
        "Points to generate. The digits are 1,797 images: fewer takes a seeded subset.",
        "Generate",
        "number",
        low=1,
        high=1_000_000,
        form_low=10,  # the preview stays meaningful; a link asking for fewer is ignored
        step=500,
        per_preset={"default": "n_default", "form_high": "max_points"},
        when=("source", "preset"),
    )
    noise: float = setting(
        0.05,
        "Noise",
        "Standard deviation of the noise, in the shape's units.",
        "Generate",
        "slider",
        low=0.0,
        high=10.0,
        per_preset={"default": "noise", "form_high": "noise_max", "step": "noise_step"},
        when=("source", "preset"),
    )
    seed: int = setting(
        0,
        "Seed",
        "The same seed always gives the same data.",
        "Generate",
        "number",
        name="data_seed",
        low=0,
        high=2**31 - 1,
        step=1,
        when=("source", "preset"),
    )
    params: dict[str, Any] = setting(
        {},  # preset-specific; the one shape parameter is params["k"]
        "Shape parameter",
        "The preset's one shape parameter: its number of blobs, spiral arms, petals or gaussians.",
        "Generate",
        "slider",
        name="param",
        kind="int",
        key="k",
        per_preset={
            "label": "param_label",
            "default": "param_default",
            "low": "param_low",
            "high": "param_high",
        },
        when=("source", "preset"),
    )
    columns: tuple[str, ...] = setting(
        (),  # none: the proposed ones
        "Modelled columns",
        "The numeric columns the model learns (comma-separated on the command line). Every numeric "
        "column is proposed, except ids, dates, constants and the label.",
        "Upload",
        "multiselect",
        link=False,  # an upload stays on the user's computer
        when=("source", ("upload", "drawn")),
    )
    label_column: str | None = setting(
        None,
        "Label (colour only, never modelled)",
        "Proposed: a text column, or an integer column with few values named like class, label, "
        "target, species or y. Picking a modelled column removes it from the modelled columns.",
        "Upload",
        "select",
        name="label",
        aliases=("--label-column",),
        cli_help="CSV column used only for colour, never modelled; 'none' for none.",
        link=False,
        when=("source", "upload"),
    )
    scaling: Scaling = setting(
        "zscore",
        "Standardize for training",
        "Stored with the dataset: the model sees standardized values, plots show original units.",
        "Data",
        "radio",
        choice_labels=SCALING_LABELS,
    )
    name: str = ""  # what the UI calls it: "two moons", a file name, "drawing"
    missing: MissingValues = setting(
        "drop",
        "Missing values",
        "Rows with a missing value in a modelled column: drop them, or fill the cell with the column median.",
        "Upload",
        "radio",
        choice_labels=MISSING_LABELS,
        link=False,
        when=("source", "upload"),
    )

    def __post_init__(self) -> None:
        check_choice("source", self.source, DATA_SOURCES)
        validate(self)
        if not isinstance(self.name, str):
            fail("name", self.name, "must be text")
        # JSON scalars that round-trip: text, a bool, an int or a finite float.
        if not isinstance(self.params, dict) or not all(
            isinstance(k, str)
            and (isinstance(v, (str, bool, int)) or (isinstance(v, float) and math.isfinite(v)))
            for k, v in self.params.items()
        ):
            fail("params", self.params, "must map names to numbers, text or true/false")
