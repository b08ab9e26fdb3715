"""The data settings in the schema: each one round-trips through the CLI, a link, a bundle and the Data form.

For each data setting the test picks a preset dataset (or a CSV upload, for the columns, the
label and the missing-value choice) whose value of it is not the default, then checks that the
reproduce command parsed by the CLI's own parser, a shared link, a saved and loaded bundle and
the Data page's generator widgets all give the same dataset settings back. A preset's own
bounds (its noise_max, the digits' 1,797 images) are checked once, where they are declared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.unit.test_bundle import HISTORY
from tests.unit.test_columns import penguins_csv
from tests.weights import random_weights
from vae import __main__ as cli
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.build import build_dataset
from vae.data.csv_reader import read_table
from vae.data.presets import PRESETS, generate, preset_config, preset_settings
from vae.runs.run import Run
from vae.settings import Setting, from_text, schema, to_text, value_of, with_value
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import save_bundle
from vae.storage.reproduce import cli_arguments
from vae.storage.share import DATA_PARAMS, SETTINGS, from_params, to_params
from vae.ui import data_form

DATA = schema(DataConfig)
# A preset dataset whose value of each setting is not the default (and a preset that has it).
CHANGED: dict[str, tuple[str, Any]] = {
    "data": ("spirals", "spirals"),
    "n_samples": ("blobs", 750),
    "noise": ("spirals", 0.7),
    "data_seed": ("ring", 42),
    "param": ("pinwheel", 7),
    "scaling": ("circles", "minmax"),
}
UPLOAD = [s for s in DATA if s.section == "Upload"]


def preset_with(s: Setting) -> DataConfig:
    preset, value = CHANGED[s.name]
    return with_value(preset_config(preset), s, value)


def bundle_round_trip(dataset) -> DataConfig:
    """The dataset settings a run on ``dataset`` has after a save and a load."""
    model = ModelConfig(input_dim=dataset.n_dims, encoder_units=(4,), decoder_units=(4,))
    run = Run(
        dataset.config,
        model,
        TrainConfig(),
        history=[dict(r) for r in HISTORY],
        weights=random_weights(model),
        status="finished",
    )
    again, reloaded = load_bundle(save_bundle(run, dataset))
    assert reloaded.config == again.data_config
    return again.data_config


def test_every_data_field_is_a_declared_setting_with_distinct_names():
    fields = {s.field for s in DATA}
    assert fields == set(DataConfig.__dataclass_fields__) - {"source", "name"}  # the data decide these
    every = [*DATA, *schema(ModelConfig, TrainConfig)]
    assert len({s.name for s in every}) == len(every) and all(s.help and s.label for s in every)
    assert set(CHANGED) == set(DATA_PARAMS) and not set(DATA_PARAMS) & set(SETTINGS)
    assert {s.name for s in UPLOAD} == {"columns", "label", "missing"} and not any(s.link for s in UPLOAD)


@pytest.mark.parametrize("s", [s for s in DATA if s.link], ids=lambda s: s.name)
def test_each_preset_setting_round_trips_through_cli_url_bundle_and_form(s):
    data = preset_with(s)
    base = preset_config("two_moons")
    assert value_of(data, s) != value_of(base, s)

    # CLI: the reproduce command, parsed by the CLI's own parser.
    args = cli.build_parser().parse_args(cli_arguments(data, ModelConfig(), TrainConfig(), out=None))
    assert cli.data_config_from_args(args) == data

    # Link: only what differs from the preset's own defaults, read back with no warning.
    params = to_params(data, None, None)
    assert params["data"] == data.preset and set(params) <= {"data", s.name}
    shared = from_params(params)
    assert shared.warnings == () and s.name in shared.given and shared.data_config == data

    # Bundle: a run on the generated data, saved and loaded.
    dataset = generate(data)
    assert bundle_round_trip(dataset) == data

    # Form: the generator's widgets, and back (the scaling is the page's radio above them).
    values = data_form.form_values(data)
    assert data_form.config_from(values, data.scaling) == data
    assert generate(data_form.config_from(values, data.scaling)).values.tobytes() == dataset.values.tobytes()


@pytest.mark.parametrize("s", UPLOAD, ids=lambda s: s.name)
def test_each_upload_setting_round_trips_through_cli_and_bundle(s, tmp_path):
    """An upload's columns, label and missing-value choice (they never travel in a link)."""
    path = tmp_path / "penguins.csv"
    path.write_bytes(penguins_csv())
    table = read_table(path, name=path.name)
    chosen = {
        "columns": {"columns": ("bill_length_mm", "body_mass_g")},
        "label": {"label_column": "island"},
        "missing": {"missing": "median"},
    }[s.name]
    options = {"columns": None, "label_column": table.roles().label, "missing": "drop", **chosen}
    dataset = build_dataset(table, options.pop("columns"), **options)
    data = dataset.config
    assert value_of(data, s) != s.default

    args = cli.build_parser().parse_args(
        cli_arguments(data, ModelConfig(), TrainConfig(), out=None, csv_path=str(path))
    )
    again = cli.load_data(args, cli.data_config_from_args(args))
    assert again.config == data and np.array_equal(again.values, dataset.values)
    assert to_params(data, None, None) == {}  # an upload stays on the user's computer
    assert bundle_round_trip(dataset) == data


def test_a_presets_own_bounds_are_declared_once_and_every_reader_uses_them():
    digits = {s.name: s for s in preset_settings("digits")}
    assert digits["n_samples"].default == 1797 and digits["n_samples"].form_bounds() == (10, 1797)
    assert {s.name: s.form_bounds() for s in preset_settings("spirals") if s.name in ("noise", "param")} == {
        "noise": (0.0, 2.0),
        "param": (1, 6),
    }
    assert "param" not in {s.name for s in preset_settings("two_moons")}  # no shape parameter
    # The CLI and a link agree on each preset's defaults: its own noise and size.
    for name, spec in PRESETS.items():
        args = cli.build_parser().parse_args(["train", "--data", name])
        assert (
            cli.data_config_from_args(args) == from_params({"data": name}).data_config == preset_config(name)
        )
        assert preset_config(name).noise == spec.noise
    # A link beyond a preset's bounds is ignored with a warning that names them.
    shared = from_params({"data": "digits", "n_samples": "2000", "noise": "4.5", "param": "3"})
    assert shared.data_config == preset_config("digits")
    assert list(shared.warnings) == [
        "Ignored n_samples='2000' from the link: 8x8 digits (64-D) takes number of points in [10, 1,797].",
        "Ignored noise='4.5' from the link: 8x8 digits (64-D) takes noise in [0, 4].",
        "Ignored param='3' from the link: 8x8 digits (64-D) has no shape parameter.",
    ]


def test_data_text_of_each_kind_reads_back_exactly():
    for s in DATA:
        for value in {value_of(preset_with(s), s) if s.link else None, s.default} - {None}:
            assert from_text(s, to_text(s, value)) == value
    columns = next(s for s in DATA if s.name == "columns")
    assert from_text(columns, " a , b c ") == ("a", "b c") and to_text(columns, ("a", "b c")) == "a,b c"


def test_the_cli_builds_each_channels_config_for_its_source(tmp_path):
    """Options that do not apply to the source are ignored, as before: --columns with a preset."""
    parse = cli.build_parser().parse_args
    preset = cli.data_config_from_args(parse(["train", "--data", "ring", "--columns", "a,b", "--param", "3"]))
    assert preset == preset_config("ring").replace(params={"k": 3})
    path = Path(tmp_path / "points.csv")
    upload = cli.data_config_from_args(
        parse(["train", "--data", str(path), "--noise", "0.3", "--missing", "median"])
    )
    assert upload == DataConfig(source="upload", name="points.csv", missing="median")
