"""Validated settings: one frozen dataclass per concern.

Settings enter the library only through these classes. Each validates itself
once in ``__post_init__`` and raises ``ValueError`` naming the field, the value
received and what is allowed, Keras style:
``"learning_rate must be in (0, 1]. Received: learning_rate=0"``.
``to_dict`` / ``from_dict`` give a JSON-safe round trip for bundles, URLs and
the worker process; ``from_dict`` rejects unknown keys.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Activation = Literal["relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "swish"]
Optimizer = Literal["adam", "rmsprop", "sgd"]
ModelKind = Literal["vae", "ae", "denoising", "sparse"]
Scaling = Literal["zscore", "minmax", "none"]
MissingValues = Literal["drop", "median"]  # rows with a missing value: drop them, or fill the cell
DataSource = Literal["preset", "upload", "drawn"]

ACTIVATIONS: tuple[str, ...] = get_args(Activation)
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)
MODEL_KINDS: tuple[str, ...] = get_args(ModelKind)
SCALINGS: tuple[str, ...] = get_args(Scaling)
MISSING_VALUES: tuple[str, ...] = get_args(MissingValues)
DATA_SOURCES: tuple[str, ...] = get_args(DataSource)

MAX_LAYERS = 6
MAX_UNITS = 1024
MAX_EPOCHS = 100_000
MAX_INPUT_DIM = 4096
# The default training budget, in optimizer steps: what two moons (2,000 rows, batch 128: 15 steps
# per epoch) gets in 60 epochs, about a second of training. Sized in steps, not epochs, so small
# data get as many updates as large: 60 epochs of iris (150 rows) were 60 steps and ended at
# loss 51.7 and still falling steeply; 900 steps end at 10.0 (wine: 355.8 -> 147).
DEFAULT_STEPS = 900


def _fail(name: str, value: Any, rule: str) -> None:
    raise ValueError(f"{name} {rule}. Received: {name}={value!r}")


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(name, value, "must be an integer")
    if value < low or (high is not None and value > high):
        rule = f"must be >= {low}" if high is None else f"must be in [{low}, {high:,}]"
        _fail(name, value, rule)


def _check_float(
    name: str, value: Any, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(name, value, "must be a finite number")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        hi = "inf" if math.isinf(high) else f"{high:g}"
        _fail(name, value, f"must be in {left}{low:g}, {hi}{right}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(name, value, f"must be one of {', '.join(choices)}")


def _check_layers(name: str, value: Any) -> None:
    if not isinstance(value, tuple) or not 1 <= len(value) <= MAX_LAYERS:
        _fail(name, value, f"must list 1 to {MAX_LAYERS} hidden layer sizes")
    for units in value:
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
            _fail(name, value, f"must hold layer sizes in [1, {MAX_UNITS}]")


def _is_plain_value(value: Any) -> bool:
    """A JSON scalar that round-trips: text, a bool, an int or a finite float."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, bool, int))


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
    decoder; they differ only in loss and sampling (``kind``).
    """

    input_dim: int = 2  # D, columns of the data; 2 is the main case, 64 for digits
    latent_dim: int = 2  # the latent pad is a plane, so 2
    encoder_units: tuple[int, ...] = (64, 32)  # the textbook example's sizes
    decoder_units: tuple[int, ...] = (32, 64)
    activation: Activation = "relu"
    kind: ModelKind = "vae"
    beta: float = 1.0  # KL weight; 1 is the ELBO, >1 a beta-VAE
    # Std of the Gaussian decoder p(x|z) in standardized units. 1.0 would make a
    # 2-D latent code worth less than its KL cost on 2-D data (posterior collapse);
    # 0.1 lets the model resolve the shape of typical toy data.
    decoder_std: float = 0.1
    noise_std: float = 0.2  # input corruption of the denoising autoencoder
    sparsity: float = 0.01  # L1 weight on the code of the sparse autoencoder

    def __post_init__(self) -> None:
        _check_int("input_dim", self.input_dim, 2, MAX_INPUT_DIM)
        _check_int("latent_dim", self.latent_dim, 1, 16)
        _check_layers("encoder_units", self.encoder_units)
        _check_layers("decoder_units", self.decoder_units)
        _check_choice("activation", self.activation, ACTIVATIONS)
        _check_choice("kind", self.kind, MODEL_KINDS)
        _check_float("beta", self.beta, 0.0, 1000.0)
        _check_float("decoder_std", self.decoder_std, 0.0, 100.0, low_open=True)
        _check_float("noise_std", self.noise_std, 0.0, 100.0)
        _check_float("sparsity", self.sparsity, 0.0, 1000.0)

    @property
    def is_variational(self) -> bool:
        return self.kind == "vae"

    @property
    def label(self) -> str:
        names = {"ae": "Autoencoder", "denoising": "Denoising AE", "sparse": "Sparse AE"}
        if self.kind != "vae":
            return names[self.kind]
        return "VAE" if self.beta == 1.0 else f"beta-VAE (beta={self.beta:g})"


@dataclass(frozen=True)
class TrainConfig(_Settings):
    """How to train: optimizer, budget, schedule and safety rails."""

    epochs: int = 60  # default_epochs(2,000 rows); the app and the CLI size it to the data
    # Train until the user pauses or stops (as TensorFlow Playground does); ``epochs`` is then
    # only the scale of the progress bar's first lap.
    until_paused: bool = False
    batch_size: int = 128
    learning_rate: float = 1e-3
    optimizer: Optimizer = "adam"
    momentum: float = 0.9  # used by SGD only
    validation_split: float = 0.0  # fraction held out, 0 = none
    seed: int = 0
    kl_warmup_epochs: int = 0  # beta ramps linearly from 0 over this many epochs
    early_stopping_patience: int = 0  # epochs without improvement; 0 = off
    clip_norm: float = 10.0  # global gradient-norm clip; a rail against blow-ups
    # Allow XLA: ~2.3x faster per step for these tiny networks on CPU, but ~3 s to
    # compile, so the engine uses it only for runs of >= 1M samples (engine.XLA_MIN_SAMPLES).
    jit_compile: bool = True

    def __post_init__(self) -> None:
        _check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_int("batch_size", self.batch_size, 1, 1_000_000)
        _check_float("learning_rate", self.learning_rate, 0.0, 1.0, low_open=True)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_float("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _check_float("validation_split", self.validation_split, 0.0, 0.5)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_int("kl_warmup_epochs", self.kl_warmup_epochs, 0, MAX_EPOCHS)
        _check_int("early_stopping_patience", self.early_stopping_patience, 0, MAX_EPOCHS)
        _check_float("clip_norm", self.clip_norm, 0.0, 1e6, low_open=True)
        for name in ("jit_compile", "until_paused"):
            if not isinstance(getattr(self, name), bool):
                _fail(name, getattr(self, name), "must be true or false")

    def split_sizes(self, n_rows: int) -> tuple[int, int]:
        """Rows used for training and validation out of ``n_rows``."""
        n_val = int(round(n_rows * self.validation_split))
        if self.validation_split > 0:
            n_val = max(n_val, 1)
        return n_rows - n_val, n_val

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
    n_train, _ = TrainConfig(batch_size=batch_size, validation_split=validation_split).split_sizes(n_rows)
    steps_per_epoch = max(n_train // batch_size, 1)  # the engine drops the last partial batch
    return min(max(math.ceil(DEFAULT_STEPS / steps_per_epoch), 1), MAX_EPOCHS)


def fitting_batch_size(n_train: int) -> int:
    """The default batch size, or all ``n_train`` training rows when there are fewer.

    Example: 128 on two moons; 120 on iris after Compare holds out 20% of its 150 rows, where
    the default 128 could not train at all.
    """
    return max(min(TrainConfig().batch_size, n_train), 1)


def budget_in_words(epochs: int, n_rows: int, batch_size: int, validation_split: float = 0.0) -> str:
    """A budget as a user reads it: "900 epochs on your 150 rows ≈ 900 optimizer steps"."""
    n_train, _ = TrainConfig(batch_size=batch_size, validation_split=validation_split).split_sizes(n_rows)
    steps = epochs * max(n_train // batch_size, 1)
    return f"{epochs:,} epochs on your {n_rows:,} rows ≈ {steps:,} optimizer steps of {batch_size} rows each"


@dataclass(frozen=True)
class DataConfig(_Settings):
    """Where a dataset came from and how it is scaled (enough to rebuild a preset)."""

    source: DataSource = "preset"
    preset: str = "two_moons"
    n_samples: int = 2000
    noise: float = 0.05
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)  # preset-specific (e.g. number of blobs)
    columns: tuple[str, ...] = ()  # columns used, for uploads
    label_column: str | None = None
    scaling: Scaling = "zscore"
    name: str = ""  # what the UI calls it: "two moons", a file name, "drawing"
    missing: MissingValues = "drop"  # uploads: what to do with missing cells

    def __post_init__(self) -> None:
        _check_choice("source", self.source, DATA_SOURCES)
        _check_int("n_samples", self.n_samples, 1, 1_000_000)
        _check_float("noise", self.noise, 0.0, 10.0)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_choice("scaling", self.scaling, SCALINGS)
        _check_choice("missing", self.missing, MISSING_VALUES)
        for name in ("preset", "name"):
            if not isinstance(getattr(self, name), str):
                _fail(name, getattr(self, name), "must be text")
        if self.label_column is not None and not isinstance(self.label_column, str):
            _fail("label_column", self.label_column, "must be text or null")
        if not isinstance(self.columns, tuple) or not all(isinstance(c, str) for c in self.columns):
            _fail("columns", self.columns, "must be a list of column names")
        if not isinstance(self.params, dict) or not all(
            isinstance(k, str) and _is_plain_value(v) for k, v in self.params.items()
        ):
            _fail("params", self.params, "must map names to numbers, text or true/false")
