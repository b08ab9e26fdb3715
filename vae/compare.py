"""A comparison of autoencoders: what is trained, on which rows, and each model's run and scores.

No Streamlit, no TensorFlow. The Compare page trains each ticked variant
(``Variant``) on the same training rows, with the same seed, architecture and
budget (``CompareSpec``), each as a ``vae.runs.run.Run`` (an ``Entry``) in a queue
of jobs (``vae.training.scheduler``); the process that trains a model scores it on the
held-out rows (``vae.core.compare_metrics``) right after its last epoch. ``Comparison``
holds all of it for one session.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vae.config import DataConfig, ModelConfig, ModelKind, TrainConfig
from vae.core import compare_metrics
from vae.core.compare_metrics import HeldOut
from vae.data.dataset import Dataset
from vae.runs.run import Run
from vae.settings import check_choice, check_float, check_int
from vae.training.scheduler import Scheduler
from vae.training.worker import TrainingJob

VARIANT_KEYS: tuple[str, ...] = ("ae", "denoising", "sparse", "vae", "beta_vae")
DEFAULT_HOLDOUT = 0.2  # fraction of rows no model trains on
# A job whose session stops checking in for this long stops itself. Closing the tab stops the
# jobs at once (the session-end release, as on Train); this catches a session that never ends
# cleanly. While a comparison trains, the sidebar's poll pumps it (and so heartbeats its jobs)
# on every page (vae.ui.sidebar), so a user reading another page loses nothing.
HEARTBEAT_S = 120.0


# --- what to train -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One model to train: an autoencoder kind and its one setting.

    Attributes:
        key: one of ``VARIANT_KEYS``; unique within a comparison.
        noise_std: input noise of the denoising autoencoder (standardized units).
        sparsity: L1 weight on the code of the sparse autoencoder.
        beta: KL weight of the beta-VAE (the plain VAE always uses 1).
    """

    key: str
    noise_std: float = 0.2
    sparsity: float = 0.01
    beta: float = 4.0

    def __post_init__(self) -> None:
        check_choice("key", self.key, VARIANT_KEYS)
        # ModelConfig validates the numbers; fail here, naming the variant, not later.
        self.model_config(ModelConfig())

    @property
    def kind(self) -> ModelKind:
        return "vae" if self.key == "beta_vae" else self.key  # type: ignore[return-value]

    @property
    def is_variational(self) -> bool:
        return self.kind == "vae"

    @property
    def label(self) -> str:
        """Short name with the setting that tells variants apart (for titles and the table)."""
        return {
            "ae": "Autoencoder",
            "denoising": f"Denoising AE (σ={self.noise_std:g})",
            "sparse": f"Sparse AE (λ={self.sparsity:g})",
            "vae": "VAE",
        }.get(self.key, f"β-VAE (β={self.beta:g})")

    def model_config(self, base: ModelConfig) -> ModelConfig:
        """``base`` (the shared architecture) with this variant's kind and setting."""
        own = {
            "denoising": {"noise_std": self.noise_std},
            "sparse": {"sparsity": self.sparsity},
            "vae": {"beta": 1.0},
            "beta_vae": {"beta": self.beta},
        }
        return base.replace(kind=self.kind, **own.get(self.key, {}))


@dataclass(frozen=True)
class CompareSpec:
    """A comparison: the variants and everything they share.

    Attributes:
        variants: 1 to 5 variants, distinct keys.
        model: the shared architecture (its ``kind`` and per-kind settings are
            overridden by each variant).
        train: the shared budget, optimizer and seed.
        holdout: fraction of rows kept out of training and used for the metrics.
        n_prior: prior samples decoded per model for the generation metrics.
    """

    variants: tuple[Variant, ...]
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    holdout: float = DEFAULT_HOLDOUT
    n_prior: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= len(self.variants) <= len(VARIANT_KEYS):
            raise ValueError(
                f"variants must list 1 to {len(VARIANT_KEYS)} models. Received: {len(self.variants)} variants"
            )
        keys = [v.key for v in self.variants]
        if len(set(keys)) != len(keys):
            raise ValueError(f"variants must have distinct keys. Received: keys={keys}")
        check_float("holdout", self.holdout, 0.05, 0.5)
        check_int("n_prior", self.n_prior, 10, 10_000)
        if self.train.validation_split != 0:
            raise ValueError(
                "train.validation_split must be 0: the comparison holds out its own rows. "
                f"Received: validation_split={self.train.validation_split}"
            )

    def model_configs(self) -> dict[str, ModelConfig]:
        """Each variant's full model config, by key, in the order of ``variants``."""
        return {v.key: v.model_config(self.model) for v in self.variants}

    def check_against_data(self, n_rows: int) -> None:
        """Raise ``ValueError`` if ``n_rows`` rows cannot be split and trained on."""
        n_train, n_test = split_sizes(n_rows, self.holdout)
        if n_test < 2:
            raise ValueError(
                f"The held-out part needs at least 2 rows. Received: {n_rows} rows "
                f"with holdout={self.holdout:g}"
            )
        self.train.check_against_data(n_train)


def split_sizes(n_rows: int, holdout: float) -> tuple[int, int]:
    """Rows for training and for held-out evaluation (at least one of each when possible)."""
    n_test = min(max(int(round(n_rows * holdout)), 1), max(n_rows - 1, 0))
    return n_rows - n_test, n_test


def holdout_split(n_rows: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of row indices into (train, held-out), each sorted.

    Every variant trains on the same ``train`` rows and is scored on the same
    ``held-out`` rows, so their numbers are comparable.
    """
    _, n_test = split_sizes(n_rows, holdout)
    order = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(order[n_test:]), np.sort(order[:n_test])


# --- each model's run, and the comparison ---------------------------------------------------------
@dataclass(kw_only=True)
class Entry(Run):
    """One model of a comparison: a run of one variant, scored (``metrics``) once it ends.

    Attributes:
        variant: what is trained (``model_config`` is its full config).
        archived: a copy has joined the session's runs (``Comparison.take_ended``).
    """

    variant: Variant
    archived: bool = False


@dataclass
class Comparison:
    """One comparison in this session: settings, the shared split, each model's run and the queue.

    Attributes:
        spec: what is trained and what they share.
        data_config, n_rows: the dataset it was trained on (to notice a change).
        train_rows, test_rows: the shared held-out split (row indices).
        entries: each variant's run and results, by key, in the order they start.
        queue: the jobs training them (at most ``worker.MAX_CONCURRENT_JOBS`` at once).
    """

    spec: CompareSpec
    data_config: DataConfig
    n_rows: int
    train_rows: np.ndarray
    test_rows: np.ndarray
    entries: dict[str, Entry]
    queue: Scheduler = field(init=False)
    _reference_energy: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.queue = Scheduler(self.entries, heartbeat_timeout=HEARTBEAT_S)  # type: ignore[arg-type]

    @classmethod
    def new(cls, spec: CompareSpec, dataset: Dataset) -> Comparison:
        """Every variant of ``spec`` queued on ``dataset``, with a held-out split seeded by the spec."""
        train_rows, test_rows = holdout_split(dataset.n_rows, spec.holdout, spec.train.seed)
        entries = {
            key: Entry(
                data_config=dataset.config,
                model_config=model_config,
                train_config=spec.train,
                status="queued",
                variant=variant,
            )
            for (key, model_config), variant in zip(spec.model_configs().items(), spec.variants, strict=True)
        }
        return cls(spec, dataset.config, dataset.n_rows, train_rows, test_rows, entries)

    @property
    def is_active(self) -> bool:
        return self.queue.is_active

    def matches(self, dataset: Dataset) -> bool:
        return self.data_config == dataset.config and self.n_rows == dataset.n_rows

    def scored(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.metrics is not None]

    def held_out(self, dataset: Dataset) -> HeldOut:
        """The held-out rows of ``dataset`` every model is scored on, and how."""
        return HeldOut(
            dataset.values[self.test_rows], dataset.standardizer, self.spec.n_prior, self.spec.train.seed
        )

    def reference_energy(self, dataset: Dataset) -> float:
        """Energy distance of real training rows to the held-out rows: the metric's floor (computed once)."""
        if self._reference_energy is None:
            x = dataset.standardized()
            self._reference_energy = compare_metrics.reference_energy(
                x[self.train_rows], x[self.test_rows], self.spec.n_prior, self.spec.train.seed
            )
        return self._reference_energy

    def pump(self, dataset: Dataset, on_start: Callable[[TrainingJob], None] | None = None) -> None:
        """Follow the jobs, start queued models while slots are free, score the models that ended.

        Each job scores its model in its own process when it runs to the end; a model that
        ended otherwise (stopped, diverged, or its scores were lost) is scored here. ``on_start``
        gets each job started (the UI stops it when the session ends).
        """
        held_out = self.held_out(dataset)
        self.queue.pump(dataset.standardized()[self.train_rows], on_start, held_out)
        for entry in self.entries.values():
            if not entry.is_active and entry.metrics is None and entry.usable and entry.history:
                entry.metrics = held_out.score(entry.weights, entry.model_config)  # type: ignore[arg-type]

    def stop_all(self) -> None:
        """Stop every running model and drop the queue."""
        self.queue.stop_all()

    def take_ended(self) -> list[Run]:
        """Copies of the models that ended with usable weights since the last call, each once.

        Each is a plain run marked as trained in Compare, for the session's earlier runs
        (``vae.runs.session_runs.archive``: the Runs page lists, explores and continues them); a
        copy, so that continuing it leaves the comparison as it was.
        """
        taken = []
        for entry in self.entries.values():
            if not (entry.is_active or entry.archived) and entry.usable and entry.history:
                entry.archived = True
                kept = {f.name: copy.deepcopy(getattr(entry, f.name)) for f in dataclasses.fields(Run)}
                taken.append(Run(**{**kept, "origin": "Compare"}))
        return taken
