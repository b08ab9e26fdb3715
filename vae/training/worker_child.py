"""The child side of training: ``python -m vae.training.worker_child`` serves jobs until told to exit.

A pooled process imports ``vae.training.engine`` (TensorFlow) once, traces the default model,
then (while no job is waiting) Compare's other default variants, and calls each kept model once
more after the last trace (``Trainer.rewarm``); then it takes jobs from its control pipe, trains
them in short compiled calls while answering control messages, and reports on its output pipe
(the messages: ``vae.training.worker``). TensorFlow is imported only inside the child
(``importlib.import_module(ENGINE_MODULE)`` in ``_Child.serve``), so the parent can import its names.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from vae.config import ModelConfig, TrainConfig
from vae.core.compare_metrics import HeldOut, Metrics
from vae.core.snapshots import SnapshotSchedule
from vae.training.fit import split_data
from vae.training.process_info import BUSY_NAME, IDLE_NAME, WARMING_NAME, memory_mb, set_process_name

# Compiled Trainers a process keeps for later jobs: Train's default model, Compare's other four
# default variants (traced in advance, see ``_Child.prepare_next``) and one more.
KEPT_TRAINERS = 6
WEIGHTS_EVERY_S = 0.2  # weight snapshots at most 5x/s: fresh enough for a 3x/s UI, cheap for big nets
DENSE_EPOCHS = 10  # the first epochs, each kept by the timeline, train one per compiled call
CONTROL_EVERY_S = 0.1  # a paused job checks its control pipe this often
WATCHDOG_S = 0.2  # how often a child checks that the server is still its parent
ENGINE_MODULE = "vae.training.engine"  # what the child imports
Message = dict[str, Any]
TERMINAL = ("done", "error")
# A job with held-out rows scores the model it ran to its end.
SCORED_REASONS = ("completed", "early_stopping")


def _watchdog(parent_pid: int) -> None:
    """End this process as soon as the server is gone, even in the middle of a compiled call."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(WATCHDOG_S)


def _prepared_configs() -> list[ModelConfig]:
    """The models a process traces before it is asked: Train's default, then Compare's five default variants.

    At the default batch size and without XLA, as Train's and Compare's default runs on two moons
    use them (``Trainer.compatible``); Compare's VAE is Train's default model.
    """
    from vae import compare  # here, not at the top: vae.compare imports the worker (its scheduler)

    spec = compare.CompareSpec(tuple(compare.Variant(key) for key in compare.VARIANT_KEYS))
    return [ModelConfig(), *spec.model_configs().values()]


class _Stop(Exception):
    """The job ends without a report (its parent is gone)."""


class _Child:
    """The serving loop of a pooled process: wait for a job, train it, report, repeat."""

    def __init__(
        self,
        control: Connection,
        output: Connection,
        parent_pid: int,
        jobs_per_process: int,
        recycle_private_mb: float,
    ) -> None:
        self.control, self.output, self.parent_pid = control, output, parent_pid
        self.jobs_per_process, self.recycle_private_mb = jobs_per_process, recycle_private_mb
        self.engine: Any = None
        self.trainers: list[Any] = []  # compiled Trainers, most recently used last (at most KEPT_TRAINERS)
        self.stale: list[Any] = []  # kept Trainers to call once more since another was traced
        self.jobs_served = 0
        self.orphan = False

    def send(self, message: Message) -> None:
        try:
            self.output.send(message)
        except (BrokenPipeError, OSError):
            self.orphan = True

    def serve(self) -> None:
        threading.Thread(target=_watchdog, args=(self.parent_pid,), daemon=True).start()
        set_process_name(WARMING_NAME)
        self.engine = importlib.import_module(ENGINE_MODULE)
        pending = _prepared_configs()
        if not self.control.poll(0):
            self.prepare_next(pending)  # the default model: Train's first job starts at once
        while not self.orphan:
            self.send({"type": "warm"})
            # Then Compare's variants, one at a time while no job waits: a job sent meanwhile
            # waits for at most one trace. Each saves a Compare job 1.5-3.3 s before its first
            # epoch on a loaded machine (BENCHMARKS.md, Training latency). Then, and after a job
            # traced a new model, each kept model is called once more (``Trainer.rewarm``).
            while (pending or self.stale) and not self.control.poll(0):
                set_process_name(WARMING_NAME)
                if pending:
                    self.prepare_next(pending)
                else:
                    self.rewarm_next()
            set_process_name(IDLE_NAME)
            try:
                message = self.control.recv()
            except (EOFError, OSError):
                return
            if message == "exit":
                return
            if not isinstance(message, dict) or message.get("type") != "job":
                continue  # a late control message of a job that has ended
            set_process_name(BUSY_NAME)
            job = _Job(self, message)
            job.run()
            self.jobs_served += 1
            if job.retiring:
                return  # retire; the pool starts a fresh process

    def will_retire(self) -> bool:
        """True if this process retires after the job it is running (decided before its last message)."""
        last = self.jobs_served + 1 >= self.jobs_per_process
        return last or memory_mb().get("private", 0.0) > self.recycle_private_mb

    def prepare_next(self, pending: list[ModelConfig]) -> None:
        """Trace the first of ``pending`` (and drop it from the list) on stand-in data, so its jobs start at once."""
        model_config, train_config = pending.pop(0), TrainConfig()
        if any(t.compatible(model_config, train_config, False) for t in self.trainers):
            return
        with contextlib.suppress(Exception):
            x = self.engine.stand_in_rows(model_config, train_config)
            trainer = self.engine.Trainer(x, model_config, train_config, xla=False, epochs=1)
            trainer.run()
            self._keep(trainer)

    def _keep(self, trainer: Any) -> None:
        """Keep a newly traced Trainer; the others' next call is slow until rewarmed (``rewarm_next``)."""
        self.stale = [t for t in self.trainers if t is not trainer]
        if trainer not in self.trainers:
            self.trainers.append(trainer)

    def rewarm_next(self) -> None:
        """Call the first stale Trainer's functions once (``Trainer.rewarm``), while no job waits."""
        trainer = self.stale.pop(0)
        if trainer in self.trainers:
            with contextlib.suppress(Exception):
                trainer.rewarm()

    def trainer_for(self, x_train, x_val, model_config, train_config, state, epochs) -> tuple[Any, bool]:
        """A kept Trainer that fits these settings (no tracing), else a new one."""
        engine = self.engine
        xla = engine.Trainer.wants_xla(len(x_train), train_config, epochs)
        for trainer in self.trainers:
            if trainer.compatible(model_config, train_config, xla):
                self.trainers.remove(trainer)
                self.trainers.append(trainer)
                if trainer in self.stale:
                    self.stale.remove(trainer)  # this job's first call instantiates it again anyway
                trainer.begin(x_train, train_config, x_val, state=state, epochs=epochs)
                return trainer, True
        del self.trainers[: max(0, len(self.trainers) - KEPT_TRAINERS + 1)]  # free graphs before building
        trainer = engine.Trainer(x_train, model_config, train_config, x_val, state=state, epochs=epochs)
        self._keep(trainer)
        return trainer, False


class _Job:
    """One job inside the child: obey control messages, train in short compiled calls, report."""

    def __init__(self, child: _Child, spec: Message) -> None:
        self.child, self.spec = child, spec
        self.id = spec["job"]
        self.paused = bool(spec.get("paused"))
        self.steps = 0  # epochs still to train while paused (Step)
        self.stop = self.lost = False
        self.changes: dict[str, float] = {}
        self.heartbeat_timeout = spec.get("heartbeat_timeout")
        self.last_contact = time.monotonic()
        self.reported_pause = False
        self.retiring = False
        # The epochs whose weights the run keeps; a fused call ends at the next one.
        self.schedule: SnapshotSchedule = spec.get("snapshot_schedule") or SnapshotSchedule()
        self.epochs_per_s: float | None = None  # slow motion (None: full speed)
        self.epoch = spec.get("state").epoch if spec.get("state") is not None else 0  # last one sent

    def send(self, message: Message) -> None:
        self.child.send({**message, "job": self.id})

    def handle(self, command: Any) -> None:
        self.last_contact = time.monotonic()
        if command == "pause":
            self.paused = True
        elif command == "resume":
            self.paused, self.steps, self.reported_pause = False, 0, False
        elif command == "step":
            self.paused, self.steps, self.reported_pause = True, self.steps + 1, False
        elif command == "stop":
            self.stop = True
        elif isinstance(command, dict) and command.get("type") == "set":
            self.changes.update(
                {k: command[k] for k in ("learning_rate", "beta") if command.get(k) is not None}
            )
        elif isinstance(command, dict) and command.get("type") == "speed":
            self.epochs_per_s = command.get("epochs_per_s")
            # Said back with the last epoch trained at the old pace: no call is running now
            # (control is read between calls), so every later epoch keeps the new one.
            self.send(
                {
                    "type": "speed",
                    "epochs_per_s": self.epochs_per_s,
                    "request": command.get("request"),
                    "epoch": self.epoch,
                    "at": time.monotonic(),
                }
            )

    def check_control(self, wait: float) -> None:
        control = self.child.control
        try:
            ready = control.poll(wait)
            while ready:
                self.handle(control.recv())
                ready = control.poll(0)
        except (EOFError, OSError):
            self.child.orphan = True  # the parent closed the pipe or died
        if self.child.orphan:
            raise _Stop
        if self.heartbeat_timeout and time.monotonic() - self.last_contact > self.heartbeat_timeout:
            self.lost = True

    def run(self) -> None:
        spec = self.spec
        trainer = None
        try:
            self.check_control(0)
            mc = ModelConfig.from_dict(spec["model_config"])
            tc = TrainConfig.from_dict(spec["train_config"])
            x_train, x_val = split_data(spec["x"], tc)
            trainer, reused = self.child.trainer_for(
                x_train, x_val, mc, tc, spec.get("state"), spec.get("epochs")
            )
            # streamlit_imported: proof for tests that no page code ran in this process.
            self.send(
                {
                    "type": "ready",
                    "n_train": len(x_train),
                    "n_val": 0 if x_val is None else len(x_val),
                    "streamlit_imported": "streamlit" in sys.modules,
                    "reused": reused,
                }
            )
            self._loop(trainer)
        except _Stop:
            return  # nobody to report to
        except Exception as exc:  # report anything; the parent decides what to show
            traceback.print_exc()
            self.child.trainers = []  # their state is unknown now
            if trainer is not None and trainer.history:
                with contextlib.suppress(Exception):
                    self.send({"type": "state", "state": trainer.state()})
            self._terminal({"type": "error", "message": f"{type(exc).__name__}: {exc}"})

    def _end(self, trainer, reason: str, message: str) -> None:
        self.send({"type": "state", "state": trainer.state()})
        metrics = self._score(trainer) if reason in SCORED_REASONS else None
        self._terminal({"type": "done", "reason": reason, "message": message, "metrics": metrics})

    def _score(self, trainer) -> Metrics | None:
        """The held-out scores of the final weights when the job has ``held_out`` rows, else None.

        Scored in the process that trained the model, beside the other slot's training, so the
        page's process only draws (scored there one by one: 3-6 s of a comparison; BENCHMARKS.md).
        NumPy runs on a thread while this one answers control messages: a stop (or a lost page)
        drops the scores, as a failure does; the page then scores the model itself.
        """
        held_out: HeldOut | None = self.spec.get("held_out")
        if held_out is None:
            return None
        args, result = (trainer.weights(), ModelConfig.from_dict(self.spec["model_config"])), []
        thread = threading.Thread(target=lambda: result.append(held_out.score(*args)), daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(CONTROL_EVERY_S)
            self.check_control(0.0)
            if self.stop or self.lost:
                return None
        return result[0] if result else None  # empty: it raised (printed on stderr)

    def _terminal(self, message: Message) -> None:
        """The job's last message, saying whether this process retires after it."""
        self.retiring = self.child.will_retire()
        self.send({**message, "retiring": self.retiring})

    def _slow_motion(self, started: float, trainer) -> None:
        """With a speed set, wait out the rest of this epoch's share of a second (answering control)."""
        while self.epochs_per_s and not trainer.done:
            left = started + 1.0 / self.epochs_per_s - time.monotonic()
            if left <= 0 or self.stop or self.lost or (self.paused and not self.steps):
                return
            self.check_control(min(left, CONTROL_EVERY_S))

    def _loop(self, trainer) -> None:
        last_weights = -math.inf
        while True:
            self.check_control(0.0)
            if self.lost or self.stop:
                message = (
                    f"Stopped after epoch {trainer.epoch}: the page stopped checking in for "
                    f"{self.heartbeat_timeout:g} s (tab closed?)."
                    if self.lost
                    else f"Stopped by you after epoch {trainer.epoch}."
                )
                self._end(trainer, "stopped", message)
                return
            if self.paused and self.steps == 0:
                if not self.reported_pause:
                    self.send({"type": "paused", "epoch": trainer.epoch, "at": time.monotonic()})
                    self.reported_pause = True
                self.check_control(CONTROL_EVERY_S)  # idle without spinning
                continue
            if self.changes and trainer.at_epoch_boundary:
                if "learning_rate" in self.changes:
                    trainer.set_learning_rate(float(self.changes["learning_rate"]))
                if "beta" in self.changes:
                    trainer.set_beta(float(self.changes["beta"]))
                self.changes = {}
            started = time.monotonic()
            # One epoch per call when stepping, slowed down, or in the first DENSE_EPOCHS (each
            # of which the timeline keeps); otherwise fused calls, each of whose last epoch may be
            # a snapshot. (Ending calls at scheduled epochs instead gave every call a new shape:
            # a retrace each, ~6 epochs/s instead of thousands on 200 rows.)
            one = self.steps or self.epochs_per_s or trainer.epoch < DENSE_EPOCHS
            records = trainer.run(max_epochs=1 if one else None)
            if not records:
                continue  # part of a long epoch: check the controls, then go on
            if self.steps:
                self.steps -= 1
            # The weights after a call are its last epoch's, exactly: offer that epoch to the schedule.
            snapshot, _ = self.schedule.offer(int(records[-1]["epoch"]))
            now = time.monotonic()
            weights = None
            if trainer.done or snapshot or now - last_weights >= WEIGHTS_EVERY_S:
                weights, last_weights = trainer.weights(), now
            self.epoch = int(records[-1]["epoch"])
            for record in records[:-1]:
                self.send({"type": "epoch", "record": record, "weights": None, "snapshot": False, "at": now})
            self.send(
                {"type": "epoch", "record": records[-1], "weights": weights, "snapshot": snapshot, "at": now}
            )
            self._slow_motion(started, trainer)
            if trainer.done:
                self._end(trainer, trainer.stop_reason, trainer.message)
                return


def _main(
    control_fd: int, output_fd: int, parent_pid: int, jobs_per_process: int, recycle_private_mb: float
) -> None:
    """``python -m vae.training.worker_child CONTROL_FD OUTPUT_FD PARENT_PID JOBS PRIVATE_MB``: serve jobs until told to exit."""
    control = Connection(control_fd, writable=False)
    output = Connection(output_fd, readable=False)
    try:
        _Child(control, output, parent_pid, jobs_per_process, recycle_private_mb).serve()
    finally:
        output.close()
        control.close()


if __name__ == "__main__":
    _main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
