"""Data: generate, draw or upload a dataset; preview it, choose its scaling, download it.

The chosen dataset goes into the session (vae.ui.state) and stays there across
page switches until the user replaces it. Parsing and validation live in
vae/data/; this page only arranges widgets and shows what happened.
"""

import streamlit as st

from vae.config import SCALING_LABELS, DataConfig
from vae.data import spreadsheet
from vae.data.csv_reader import MAX_UPLOAD_MB
from vae.data.dataset import MIN_ROWS, DataError, Dataset, dataset_frame, rescale
from vae.data.presets import from_points, generate
from vae.ui import data_form, preview, state, upload_panel
from vae.ui import draw_canvas as draw_canvas_mod
from vae.ui.draw_canvas import draw_canvas, points_from_state
from vae.ui.shell import require_app_shell
from vae.ui.text import plain

require_app_shell()

CANVAS_KEY = "data_draw_canvas"
UPLOAD_LIMIT_MB = int(st.get_option("server.maxUploadSize") or MAX_UPLOAD_MB)


@st.cache_data(max_entries=16, show_spinner=False)
def generate_cached(config: dict) -> Dataset:
    return generate(DataConfig.from_dict(config))


def use(dataset: Dataset) -> None:
    state.set_dataset(dataset)
    st.toast(plain(f"Now using {dataset.name}: {dataset.n_rows:,} rows."))


def on_scaling_change() -> None:
    active = state.get_dataset()
    if active is not None:
        state.set_dataset(rescale(active, st.session_state[data_form.SCALING_KEY]))


def generate_tab(scaling: str) -> None:
    active = state.get_dataset()
    config = data_form.render_generator(active.config if active is not None else None, scaling)
    dataset = generate_cached(config.to_dict())
    st.button("Use this dataset", type="primary", key="data_use_generated", on_click=use, args=(dataset,))
    preview.show(dataset, "data_generate_preview")


def on_stroke() -> None:
    points = points_from_state(CANVAS_KEY)
    if points is not None:
        state.set_drawn_points(points)


def draw_tab(scaling: str) -> None:
    st.caption(
        "Click and drag on the canvas to spray points with the brush; switch to erase to remove them. "
        "Keyboard: Tab to the canvas, move the brush with the arrow keys (Shift: big steps), hold Space to paint."
    )
    st.session_state["data_draw_class"] = state.get_drawn_class()  # widgets forget it on page switches
    cls = st.segmented_control(
        "Class to draw (its colour)",
        list(range(draw_canvas_mod.CLASSES)),
        format_func=lambda k: f"{k} · {draw_canvas_mod.CLASS_NAMES[k]}",
        key="data_draw_class",
        required=True,
        on_change=lambda: state.set_drawn_class(st.session_state["data_draw_class"]),
        help="Pick a class, draw its points, pick another: e.g. two moons of your own, one per class.",
    )
    c1, c2, c3 = st.columns(3)
    mode = c1.radio(
        "Brush",
        ["draw", "erase"],
        horizontal=True,
        key="data_brush_mode",
        format_func=lambda m: {"draw": "Draw", "erase": "Erase"}[m],
    )
    size = c2.slider("Brush size (px)", 2, 60, 18, key="data_brush_size")
    density = c3.slider("Density (points per dab)", 1, 30, 6, key="data_brush_density")
    left, right = st.columns([3, 2])
    with left, st.container(key="data_draw"):
        draw_canvas(
            key=CANVAS_KEY,
            points=state.get_drawn_points(),
            token=state.get_drawn_token(),
            mode=mode,
            cls=cls,
            size=size,
            density=density,
            on_change=on_stroke,
        )
    with right:
        points = state.get_drawn_points()
        st.metric("Points drawn", f"{len(points):,}")
        st.button(
            "Undo",
            key="data_undo_drawing",
            disabled=not state.can_undo_drawing(),
            on_click=state.undo_drawing,
            args=(state.get_drawn_token(),),
            help="Take back the last stroke (or Clear).",
        )
        st.button(
            "Clear the canvas",
            key="data_clear_drawing",
            disabled=not points,
            on_click=state.set_drawn_points,
            args=([],),
            kwargs={"replace_canvas": True},
        )
        dataset = None
        if len(points) >= MIN_ROWS:
            try:
                dataset = from_points(points, scaling)
            except DataError as exc:
                st.error(plain(str(exc)))
        else:
            st.caption(f"Draw at least {MIN_ROWS} points to use the drawing.")
        st.button(
            "Use this drawing",
            type="primary",
            key="data_use_drawing",
            disabled=dataset is None,
            on_click=use,
            args=(dataset,),
        )


def active_summary(active: Dataset | None) -> None:
    if active is None:
        st.info(
            "**No dataset yet.** Pick one below — the two moons are ready: press **Use this dataset**.",
        )
        return
    st.success(
        f"**Active dataset: {plain(active.name)}** — {active.n_rows:,} rows × {active.n_dims} columns, "
        f"scaling {SCALING_LABELS[active.config.scaling]}.",
    )
    row = st.container(horizontal=True, vertical_alignment="center")
    if row.button("Next: train a model →", type="primary", key="data_next_train"):
        st.switch_page("pages/train.py")
    row.download_button(
        "Download as CSV",
        spreadsheet.csv_bytes(dataset_frame(active)),
        file_name=f"{active.name or 'data'}.csv".replace(" ", "_").replace("/", "_"),
        mime="text/csv",
        key="data_download",
    )
    # The scaling belongs to the active dataset (changing it rescales that dataset), so it is
    # shown with it; before there is one, every source builds with the session's choice.
    data_form.render_scaling(active.config, on_scaling_change)
    st.caption("Plots show original units; the model trains on the standardized values.")


st.title("Data")
summary = st.container()
active = state.get_dataset()
scaling = data_form.current_scaling(active.config if active is not None else None)
tab_generate, tab_draw, tab_upload = st.tabs(["Generate", "Draw", "Upload"])
with tab_generate:
    generate_tab(scaling)
with tab_draw:
    draw_tab(scaling)
with tab_upload:
    upload_panel.render(scaling, UPLOAD_LIMIT_MB, use)
with summary:
    active_summary(state.get_dataset())
