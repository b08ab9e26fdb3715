"""The settings schema: every setting declared once, and each one round-trips through every channel.

For each setting the test picks a value that is not its default (and makes the setting matter,
e.g. SGD for the momentum), then checks that the CLI (through the reproduce command), a link,
a bundle's settings and the Train form's widget values all give the same settings back.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest

from tests.unit.test_bundle import make_run
from vae import __main__ as cli
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.settings import Setting, from_text, parse_units, schema, to_text
from vae.storage.bundle_load import load_bundle
from vae.storage.bundle_save import save_bundle
from vae.storage.reproduce import cli_arguments
from vae.storage.share import from_params, to_params
from vae.ui.settings_form import configs_from, form_values

SETTINGS = schema(ModelConfig, TrainConfig)


def other_value(s: Setting) -> Any:
    """A valid value of ``s`` that is not its default and that the Train form can show exactly."""
    if s.kind == "bool":
        return not s.default
    if s.kind == "choice":
        return next(c for c in reversed(s.choices) if c != s.default)
    if s.kind == "units":
        return (24, 12, 6)
    if s.scale:
        return next(v for v in s.scale[2:] if v != s.default)
    low, high = s.form_bounds()
    if s.kind == "int":
        return min(low + 7, high)
    return round(low + 0.3 * (min(high, 10.0) - low), 3)


def configs_with(s: Setting, value: Any = None) -> tuple[ModelConfig, TrainConfig]:
    """Default settings but ``s`` = ``value`` (its ``other_value``), and whatever makes ``s`` matter."""
    changes = {s.field: other_value(s) if value is None else value}
    if s.when is not None:
        changes[s.when[0]] = s.when[1]
    model = {k: v for k, v in changes.items() if k in {f.name for f in dataclasses.fields(ModelConfig)}}
    train = {k: v for k, v in changes.items() if k not in model}
    return ModelConfig(**model), TrainConfig(**train)


def test_every_config_field_is_a_declared_setting():
    declared = {s.field for s in SETTINGS}
    for cls in (ModelConfig, TrainConfig):
        fields = {f.name for f in dataclasses.fields(cls)} - {"input_dim"}  # the data decide input_dim
        assert fields <= declared, f"declare {fields - declared} with vae.settings.setting(...)"
    assert len({s.name for s in SETTINGS}) == len(SETTINGS) and all(s.help and s.label for s in SETTINGS)
    for s in SETTINGS:
        assert s.owner(**{s.field: s.default}) == s.owner()  # the default is valid
        if s.kind in ("int", "float"):
            low, high = s.form_bounds()
            assert low <= s.default <= high, s.name  # the form can show the default
        assert s.when is None or s.when[0] in {t.field for t in SETTINGS}


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: s.name)
def test_each_setting_round_trips_through_cli_url_bundle_and_form(s):
    model, train = configs_with(s)
    value = getattr(model if s.owner is ModelConfig else train, s.field)
    assert value != s.default

    # CLI: the reproduce command, parsed by the CLI's own parser, gives the same settings.
    words = cli_arguments(DataConfig(), model, train, out=None)
    args = cli.build_parser().parse_args(words)
    if s.cli:
        assert cli.settings_from_args(ModelConfig, args, input_dim=model.input_dim) == model
        assert cli.settings_from_args(TrainConfig, args) == train
    else:
        assert (
            s.flag not in words and getattr(cli.settings_from_args(TrainConfig, args), s.field) == s.default
        )

    # Link: only what differs from the defaults, read back with no warning.
    params = to_params(None, model, train)
    assert params[s.name] == to_text(s, value)
    shared = from_params(params)
    assert shared.warnings == () and s.name in shared.given
    assert (shared.model_config, shared.train_config) == (model, train)

    # Bundle settings: config.json's "model" and "train" objects.
    for config in (model, train):
        assert type(config).from_dict(json.loads(json.dumps(config.to_dict()))) == config

    # Form: every widget's value, and back (no note: the value is on the form's scale).
    values, notes = form_values(model, train, "tr_", "the run")
    assert notes == [] and set(values) == {"tr_" + t.name for t in SETTINGS}
    assert configs_from(values, "tr_", model.input_dim) == (model, train)


def test_a_run_with_every_setting_changed_survives_a_bundle():
    model = ModelConfig(
        latent_dim=3,
        encoder_units=(32, 16),
        decoder_units=(16,),
        activation="tanh",
        beta=4.0,
        decoder_std=0.3,
    )
    run, dataset = make_run(model)
    changed = {s.field: other_value(s) for s in schema(TrainConfig)}
    run.train_config = TrainConfig(**{**changed, "epochs": 1500, "seed": 7})
    again, _ = load_bundle(save_bundle(run, dataset))
    assert again.model_config == run.model_config and again.train_config == run.train_config


def test_form_values_it_cannot_show_are_snapped_or_clipped_with_a_note():
    model, train = ModelConfig(beta=250.0), TrainConfig(learning_rate=5e-4, batch_size=100)
    values, notes = form_values(model, train, "tr_", "the link")
    assert values["tr_beta"] == 100.0 and values["tr_lr"] == 3e-4 and values["tr_batch_size"] == 128
    text = "\n".join(notes)
    assert len(notes) == 3 and "β (KL weight) 250 from the link" in text
    assert "learning rate 0.0005" in text and "batch size 100" in text


def test_one_reader_of_layer_sizes():
    assert parse_units("64, 32") == parse_units("64,32") == parse_units(" 64 32 ") == (64, 32)
    encoder = next(s for s in SETTINGS if s.name == "encoder")
    assert from_text(encoder, "8,4") == (8, 4) and to_text(encoder, (8, 4)) == "8,4"
    for bad, why in [
        ("", "give 1 to 6"),
        ("64, x", "whole numbers"),
        ("0", "1 to 1024"),
        ("8 " * 7, "1 to 6"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_units(bad, "Encoder layers")


def test_text_of_each_kind_reads_back_exactly():
    for s in SETTINGS:
        for value in (s.default, other_value(s)):
            assert from_text(s, to_text(s, value)) == value
    lr = next(s for s in SETTINGS if s.name == "lr")
    assert from_text(lr, to_text(lr, 0.1 + 0.2)) == 0.1 + 0.2 and not math.isnan(from_text(lr, "1e-3"))
    xla = next(s for s in SETTINGS if s.name == "xla")
    with pytest.raises(ValueError, match="expected true or false"):
        from_text(xla, "maybe")
