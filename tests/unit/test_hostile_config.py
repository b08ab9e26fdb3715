"""Hostile settings (property-based): from_dict on any JSON dict raises ValueError or gives valid settings.

Settings arrive from bundles, shared URLs and the worker's pipe. Whatever the
JSON, ``ModelConfig`` / ``TrainConfig`` / ``DataConfig.from_dict`` must either
raise ``ValueError`` (with a message) or return settings that pass their own
checks and survive a JSON round trip.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vae.config import DATA_SOURCES, DataConfig, ModelConfig, TrainConfig
from vae.settings import MAX_LAYERS, MAX_UNITS, schema

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.integers(-3, 5000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10, 2000),
    st.text(max_size=12),
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)

CLASSES = (ModelConfig, TrainConfig, DataConfig)
CHOICES = {s.field: s.choices for c in CLASSES for s in schema(c) if s.kind == "choice"} | {
    "source": DATA_SOURCES
}


def values_for(cls) -> st.SearchStrategy:
    """Plausible and implausible values for each known field, so many examples get past the key check."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    by_field = {}
    for name in fields:
        options = [JSON]
        if name in CHOICES:
            options.append(st.sampled_from(CHOICES[name] + ("", "RELU", "adam ", None)))
        if name.endswith("_units"):
            options.append(
                st.lists(st.integers(-1, MAX_UNITS + 1) | JSON_SCALARS, min_size=0, max_size=MAX_LAYERS + 1)
            )
        default = getattr(cls(), name)
        if isinstance(default, bool):
            options.append(st.sampled_from([True, False, 0, 1, "true"]))
        elif isinstance(default, int):
            options.append(st.integers(-2, 2**31 + 1))
        elif isinstance(default, float):
            options.append(st.floats(-1, 1e6) | st.sampled_from([math.nan, math.inf, -math.inf, 1e-320]))
        by_field[name] = st.one_of(*options)
    return st.fixed_dictionaries({}, optional=by_field)


def check_valid(config) -> None:
    """A config that from_dict accepted satisfies every documented rule."""
    cls = type(config)
    # Its own validation passes when re-run, and it round-trips through JSON unchanged.
    assert not isinstance(config, DataConfig) or _data_text_fields_ok(config)
    again = cls.from_dict(json.loads(json.dumps(config.to_dict(), allow_nan=False)))
    assert again == config
    for f in dataclasses.fields(cls):
        value = getattr(config, f.name)
        if f.name in CHOICES:
            assert value in CHOICES[f.name]
        if isinstance(getattr(cls(), f.name), float):  # a numeric setting
            assert isinstance(value, (int, float)) and math.isfinite(value)
        if f.name.endswith("_units"):
            assert isinstance(value, tuple) and 1 <= len(value) <= MAX_LAYERS
            assert all(type(u) is int and 1 <= u <= MAX_UNITS for u in value)
    if isinstance(config, ModelConfig):
        assert type(config.input_dim) is int and config.input_dim >= 2
        assert type(config.latent_dim) is int and config.latent_dim >= 1
        assert config.decoder_std > 0 and config.beta >= 0
    if isinstance(config, TrainConfig):
        assert type(config.epochs) is int and config.epochs >= 1
        assert type(config.batch_size) is int and config.batch_size >= 1
        assert 0 < config.learning_rate <= 1
        assert 0 <= config.validation_split <= 0.5
        assert config.clip_norm > 0
        assert type(config.jit_compile) is bool
    if isinstance(config, DataConfig):
        assert type(config.n_samples) is int and config.n_samples >= 1
        assert isinstance(config.params, dict)


def _data_text_fields_ok(config: DataConfig) -> bool:
    try:
        json.dumps(config.params, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return (
        isinstance(config.preset, str)
        and isinstance(config.name, str)
        and all(isinstance(c, str) for c in config.columns)
        and (config.label_column is None or isinstance(config.label_column, str))
    )


def attempt(cls, values) -> None:
    try:
        config = cls.from_dict(values)
    except ValueError as err:
        assert str(err).strip()
        return
    check_valid(config)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@SETTINGS
@given(data=st.data())
def test_from_dict_on_arbitrary_json_raises_only_value_error(cls, data):
    attempt(cls, data.draw(st.dictionaries(st.text(max_size=10), JSON, max_size=5)))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@SETTINGS
@given(data=st.data())
def test_from_dict_on_known_keys_with_hostile_values(cls, data):
    attempt(cls, data.draw(values_for(cls)))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
@SETTINGS
@given(value=JSON)
def test_from_dict_on_non_dicts_raises_value_error(cls, value):
    if isinstance(value, dict):
        attempt(cls, value)
    else:
        with pytest.raises(ValueError, match="mapping"):
            cls.from_dict(value)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_defaults_round_trip(cls):
    check_valid(cls.from_dict(cls().to_dict()))


@pytest.mark.parametrize(
    "values",
    [
        {"preset": math.inf},
        {"name": 3},
        {"columns": [1, 2]},
        {"label_column": ["x"]},
        {"params": {"k": math.nan}},
    ],
    ids=["preset", "name", "columns", "label_column", "params"],
)
def test_data_config_checks_its_text_fields(values):
    with pytest.raises(ValueError):
        DataConfig.from_dict(values)
