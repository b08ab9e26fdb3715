"""Train: hyperparameters, Start / Pause / Step / Continue / Stop / Reset, and a live view of the run.

Training runs in a warm child process (vae.training.worker); a fragment polls it about
three times a second and redraws only the live view, so the page stays
responsive and leaving the page neither stops nor loses the run. A model is
kept until Reset: Continue (or Step) trains it further from its weights and
optimizer state; Train again starts a new one. Learning rate and beta can be
changed while it trains.
"""

from __future__ import annotations

import streamlit as st

from vae.runs.run import judged_loss, still_falling
from vae.ui import empty_state, handover, state, timeline, train_charts, train_form, train_live, training
from vae.ui.shell import require_app_shell
from vae.ui.text import plain

require_app_shell()

POLL_S = 0.25  # live view refresh while a job runs (4x per second)
ERROR_KEY = "tr_start_error"

st.title("Train a VAE")

dataset = state.get_dataset()
if dataset is None:
    empty_state.offer_dataset(
        "There is no dataset yet. Start with the classic two moons, or choose, "
        "draw or upload one on the Data page.",
        key="tr_use_moons",
    )
    st.stop()

training.sync()
if state.take_autostart() and not training.job_running():
    # The default model, whatever the form holds: the form keeps the user's own settings.
    st.session_state[ERROR_KEY] = training.start(
        dataset, *train_form.default_settings(dataset.n_dims, dataset.n_rows)
    )
_run = state.get_run()
if (
    _run is not None
    and not _run.is_active
    and state.take_then_explore()
    and _run.status == "finished"
    and _run.usable
):
    # Home's "try it now" ends on the latent plane. The browser opens it (vae/ui/handover.py):
    # st.switch_page while the live view polls can land on a blank page.
    st.caption("Training finished: opening the latent plane…")
    handover.go_to("explore")


def current_settings() -> train_form.FormResult:
    return train_form.current(dataset.n_dims)


def on_start(paused: bool = False) -> None:
    form = current_settings()
    if form.error:
        st.session_state[ERROR_KEY] = form.error
        return
    st.session_state[ERROR_KEY] = training.start(dataset, form.model_config, form.train_config, paused=paused)


def on_train_current_data() -> None:
    training.stop()  # a model of another width may still be training on the old data
    on_start()


def on_new_seed() -> None:
    if training.job_running():  # the same click delivered twice: the first already started a run
        return
    form = current_settings()
    if form.train_config is None:
        st.session_state[ERROR_KEY] = form.error
        return
    st.session_state["tr_seed"] = training.new_seed(form.train_config).seed
    on_start()


def on_continue(epochs: int | None = None, paused: bool = False) -> None:
    form = current_settings()
    if form.train_config is not None and form.model_config is not None:
        # The two settings that may change between epochs follow the form.
        training.change(learning_rate=form.train_config.learning_rate, beta=form.model_config.beta)
    st.session_state[ERROR_KEY] = training.continue_training(dataset, epochs=epochs, paused=paused)


def on_step(token: int) -> None:
    if not training.job_running():
        if training.continue_refusal(dataset) is None:
            on_continue(paused=True)
        else:
            on_start(paused=True)
    training.step(token)


def on_live_change() -> None:
    """The learning rate or beta changed in the form while a model exists: apply from the next epoch."""
    form = current_settings()
    if form.train_config is not None and form.model_config is not None and training.job_running():
        st.session_state[ERROR_KEY] = training.change(
            learning_rate=form.train_config.learning_rate, beta=form.model_config.beta
        )


def on_reset() -> None:
    training.reset()
    st.session_state.pop(state.TRAIN_VIEWS, None)
    st.session_state[ERROR_KEY] = None


def show_status(run) -> None:
    if run is None:
        st.progress(0.0, text="Not started. Pick settings (or a preset) and press Start.")
        return
    active = run.status in ("training", "paused")
    fraction, label = train_charts.progress(
        run.epochs_done, run.end_epoch, training.epochs_per_s(run), eta=active
    )
    status = {
        "starting": "Starting the training process (loading TensorFlow takes a few seconds)…",
        "training": label if run.epochs_done else "Compiling the model and running the first epoch…",
        "paused": (
            f"Paused · {label}. Resume, or Step one epoch at a time."
            if training.paused_confirmed()
            else f"Pausing… · {label}"
        ),
        "finished": f"Finished · {label}",
        "stopped": f"Stopped · {label}",
        "diverged": f"Stopped (diverged) · {label}",
        "failed": f"Failed · {label}",
    }[run.status]
    st.progress(fraction, text=status)
    message = plain(run.message)  # from the worker or a loaded bundle: shown as text, never Markdown
    falling = still_falling(run.history) if run.status == "finished" else None
    if falling is not None:
        more = run.train_config.epochs
        which = "held-out (validation) loss" if falling.held_out else "loss"
        st.info(
            f"The budget ran out while the {which} was still falling: {falling.drop:.0%} lower over the "
            f"last quarter of the run (now {falling.last:.3f} nats per point). More epochs will likely help."
        )
        st.button(
            f"Continue for {more:,} more epochs",
            key="tr_continue_more",
            on_click=on_continue,
            args=(more,),
            disabled=training.continue_refusal(dataset) is not None,
        )
        st.page_link("pages/explore.py", label="Explore the latent plane as it is →")
    elif run.status == "finished":
        st.success(f"{message or 'Training finished.'} Final loss {run.last_loss:.3f} nats per point.")
        if judged_loss(run.history) == "val_loss" and still_falling(run.history, "loss") is not None:
            st.caption(
                "The training loss is still falling, but the held-out (validation) loss is not: more "
                "epochs would fit the training rows ever closer, not new ones."
            )
        st.page_link("pages/explore.py", label="Explore the latent plane →")
    elif run.status == "diverged":
        st.error(f"{message} Tip: lower the learning rate, or rescale the data to z-scores on the Data page.")
    elif run.status == "failed":
        st.error(f"{message} Your dataset, settings and earlier runs are untouched.")
        st.button(
            "Restart training",
            key="tr_restart",
            on_click=lambda: st.session_state.update({ERROR_KEY: training.restart()}),
        )
    elif run.status == "stopped" and run.message:
        st.info(message)


running = training.job_running()
st.caption(
    f"Dataset: **{plain(dataset.name)}** · {dataset.n_rows:,} rows × {dataset.n_dims} columns, "
    "standardized for training. Losses are in nats per point on standardized data."
)
left, right = st.columns([1, 2], gap="large")
with left:
    form = train_form.render(
        dataset.n_dims, disabled=running, n_rows=dataset.n_rows, on_live_change=on_live_change
    )
    problem = form.error
    if problem is None and form.train_config is not None:
        try:
            form.train_config.check_against_data(dataset.n_rows)
        except ValueError as exc:
            problem = str(exc)

with right:
    run = state.get_run()
    paused = run is not None and run.status == "paused"
    can_continue = training.continue_refusal(dataset) is None
    with st.container(key="train_controls", horizontal=True):
        st.button(
            "Train again" if run is not None and not running else "Start",
            type="primary",
            on_click=on_start,
            disabled=running or problem is not None,
            key="tr_start",
            help="Train a new model from scratch with these settings (the current one is kept in this "
            "session's runs). The same seed and settings give the same model.",
        )
        if run is not None and not running:
            st.button(
                "New seed",
                on_click=on_new_seed,
                disabled=problem is not None,
                key="tr_new_seed",
                help="Pick a random seed and train a new model with it: another draw of the initial "
                "weights, the batches and the noise.",
            )
        st.button(
            "Resume" if paused else "Pause",
            on_click=training.resume if paused else training.pause,
            disabled=not running,
            key="tr_pause",
            help="Pause at once (within a tenth of a second); resume where it left off.",
        )
        st.button(
            "Step",
            on_click=on_step,
            args=(training.step_token(),),
            disabled=(running and not paused) or (problem is not None and not can_continue),
            key="tr_step",
            help="Train exactly one epoch, then pause (continuing the current model if there is one).",
        )
        st.button(
            "Continue",
            on_click=on_continue,
            disabled=running or not can_continue,
            key="tr_continue",
            help="Train the current model further, from its weights and optimizer state: its curves go on.",
        )
        st.button(
            "Stop",
            on_click=training.stop,
            disabled=not running,
            key="tr_stop",
            help="End this run; its weights so far are kept, can be explored, and can be continued.",
        )
        st.button(
            "Reset",
            on_click=on_reset,
            disabled=run is None and not running,
            key="tr_reset",
            help="Stop and clear the current model (it stays in this session's past runs).",
        )
    if problem is not None:
        st.error(f"These settings cannot train yet: {problem}")
    if note := state.train_note():  # e.g. a run continued from the Runs page on its own dataset
        st.info(note)
    if st.session_state.get(ERROR_KEY):
        st.warning(st.session_state[ERROR_KEY])
    if (
        run is not None
        and form.model_config is not None
        and (run.model_config, run.train_config)
        != (
            form.model_config,
            form.train_config,
        )
    ):
        st.caption(
            f"The model shown ran with other settings ({run.model_config.label}, {run.train_config.epochs} "
            f"epochs, seed {run.train_config.seed}) than the form's, which are kept for your next Start."
        )

    was_playing = timeline.playing()

    @st.fragment(run_every=POLL_S if running else timeline.PLAY_TICK_S if was_playing else None)
    def live_view() -> None:
        training.sync()
        run = state.get_run()
        timeline.advance(run)
        with st.container(key=train_live.LIVE_KEY):
            with st.container(key="train_status"):  # its parts come and go; the charts below keep their place
                show_status(run)
            # The first epochs' loss dwarfs the rest on a linear axis.
            st.session_state.setdefault("tr_log", True)
            log_y = st.toggle(
                "Log-scale loss axes",
                key="tr_log",
                persist_state="session",
                help="Show the loss on a logarithmic axis: early and late epochs both stay readable.",
            )
            train_live.watch_speed()
            replay = timeline.render(run)
            mismatch = empty_state.model_mismatch(run, dataset)
            train_live.render(dataset, run, log_y=log_y, views=not mismatch, replay=replay)
            if mismatch:  # the dataset changed under the model: its panel and latent view cannot be drawn
                empty_state.offer_retrain(mismatch, key="tr_retrain", on_click=on_train_current_data)
        # `running` is what this fragment was registered with: polling. Compare with the run's state
        # now, not with the previous tick's, since the sidebar may have drained the last epoch first.
        if running and (run is None or not run.is_active):
            st.rerun(scope="app")  # the run ended: refresh the controls, stop polling, maybe hand over
        if timeline.playing() != was_playing:
            st.rerun(scope="app")  # playback started or ended: start or stop its clock

    train_live.keep_steady()
    live_view()
