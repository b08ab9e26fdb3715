"""Settings in a link, like TensorFlow Playground: to and from a flat dict of strings.

``to_params`` turns a preset dataset's settings and the hyperparameters into
URL query parameters; ``from_params`` turns a (possibly hand-edited, possibly
hostile) dict back into validated configs. A bad or unknown parameter never
fails the whole link: it is ignored, the default is kept, and a warning says
which one and why. Only presets travel in a link; an upload or a drawing is
the user's own data and stays on their computer (a run bundle carries it).

Parameter names are the settings' (vae.settings), as the CLI's flags (``--batch-size`` ->
``batch_size``). A preset's values are checked against its own bounds (noise up to the preset's
``noise_max``): one outside them is ignored with a warning, as a bad value is.
Pure Python: no Streamlit (see ``vae.ui.share`` for the glue).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.presets import PRESETS, preset_config, preset_settings
from vae.settings import Setting, from_text, schema, to_text, value_of, with_value
from vae.storage.bundle_format import one_line

MAX_VALUE_CHARS = 64  # a longer value is not a setting
MAX_PARAMS = 64  # a longer query string is not ours
IGNORED = frozenset({"embed", "embed_options"})  # Streamlit's own query parameters

# The dataset travels only as a preset: its settings that links carry (not an upload's columns).
DATA_PARAMS = {s.name: s for s in schema(DataConfig) if s.link}
SETTINGS = {s.name: s for s in schema(ModelConfig, TrainConfig)}
KNOWN = frozenset(DATA_PARAMS) | frozenset(SETTINGS)


@dataclass(frozen=True)
class SharedSettings:
    """What a link held, validated.

    Attributes:
        data_config: the preset dataset, or None when the link names none.
        model_config, train_config: the hyperparameters (defaults where the
            link is silent or wrong). ``model_config.input_dim`` is a
            placeholder: the dataset decides it.
        warnings: one line per ignored parameter, for the user.
        given: the URL names that were applied.
    """

    data_config: DataConfig | None
    model_config: ModelConfig
    train_config: TrainConfig
    warnings: tuple[str, ...] = ()
    given: tuple[str, ...] = ()


def to_params(
    data_config: DataConfig | None, model_config: ModelConfig | None, train_config: TrainConfig | None
) -> dict[str, str]:
    """Settings as query parameters (``from_params`` reads them back); only what differs from the
    defaults, for short links. The dataset is shared only when it is a preset; None leaves a config out.
    """
    params: dict[str, str] = {}
    compared = [(c, type(c)(), schema(type(c))) for c in (model_config, train_config) if c is not None]
    if data_config is not None and data_config.source == "preset" and data_config.preset in PRESETS:
        params["data"] = data_config.preset  # compared with the preset's own noise and size
        compared.insert(0, (data_config, preset_config(data_config.preset), tuple(DATA_PARAMS.values())))
    for config, base, settings in compared:
        for s in settings:
            if s.name != "data" and value_of(config, s) != value_of(base, s):
                params[s.name] = to_text(s, value_of(config, s))
    return params


def _first(value: Any) -> str | None:
    # st.query_params gives the last value of a repeated key; a plain dict may hold a list.
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


def _apply(config, s: Setting, value: Any, text: str, warnings: list[str], given: list[str]):
    """``config`` with ``s`` set (its name joins ``given``), or as it was with a warning."""
    try:
        new = with_value(config, s, value)
    except (ValueError, TypeError) as err:
        warnings.append(f"Ignored {s.name}={text[:MAX_VALUE_CHARS]!r} from the link: {one_line(err)}")
        return config
    given.append(s.name)
    return new


def from_params(
    params: Mapping[str, Any],
    *,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
) -> SharedSettings:
    """Validated settings from query parameters (e.g. ``st.query_params.to_dict()``); bad ones are
    skipped with a warning, so it never raises for bad input.

    Args:
        model_config, train_config: the starting point the link changes
            (defaults: ``ModelConfig()``, ``TrainConfig()``).
    """
    warnings: list[str] = []
    given: list[str] = []
    items = [(k, v) for k, v in params.items() if k not in IGNORED]
    if len(items) > MAX_PARAMS:
        warnings.append(f"The link has {len(items)} parameters; only the first {MAX_PARAMS} were read.")
        items = items[:MAX_PARAMS]
    values: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name, raw in items:
        text = _first(raw)
        if not isinstance(name, str) or name not in KNOWN:
            warnings.append(f"Ignored unknown link parameter {str(name)[:40]!r}.")
        elif text is None or len(text) > MAX_VALUE_CHARS:
            warnings.append(f"Ignored {name} from the link: the value is missing or too long.")
        else:
            try:
                parsed[name] = from_text(SETTINGS.get(name) or DATA_PARAMS[name], text)
                values[name] = text
            except ValueError as err:
                warnings.append(f"Ignored {name}={text!r} from the link: {err}")

    configs = {ModelConfig: model_config or ModelConfig(), TrainConfig: train_config or TrainConfig()}
    for name, setting in SETTINGS.items():
        if name not in parsed:
            continue
        config = configs[setting.owner]
        configs[setting.owner] = _apply(config, setting, parsed[name], values[name], warnings, given)
    data = _data_config(parsed, values, warnings, given)
    return SharedSettings(data, configs[ModelConfig], configs[TrainConfig], tuple(warnings), tuple(given))


def _data_config(
    parsed: dict[str, Any], values: dict[str, str], warnings: list[str], given: list[str]
) -> DataConfig | None:
    data_names = [n for n in DATA_PARAMS if n in parsed]
    if not data_names:
        return None
    preset = parsed.get("data")
    if preset is None:
        warnings.append(f"Ignored {', '.join(data_names)} from the link: it names no dataset (data=...).")
        return None
    if preset not in PRESETS:
        warnings.append(
            f"Ignored data={values['data']!r} from the link: not a preset. "
            f"Choose one of {', '.join(PRESETS)}."
        )
        return None
    config = preset_config(preset)
    given.append("data")
    own = {s.name: s for s in preset_settings(preset)}  # with the preset's own bounds
    for name in data_names:
        if name == "data":
            continue
        s, text = own.get(name), values[name]
        if s is None:
            label = DATA_PARAMS[name].label.lower()
            warnings.append(f"Ignored {name}={text!r} from the link: {config.name} has no {label}.")
            continue
        low, high = s.form_bounds() if s.kind in ("int", "float") else (None, None)
        if low is not None and not low <= parsed[name] <= high:
            low, high = (f"{v:,}" if s.kind == "int" else f"{v:g}" for v in (low, high))
            warnings.append(
                f"Ignored {name}={text!r} from the link: {config.name} takes {s.label.lower()} "
                f"in [{low}, {high}]."
            )
            continue
        config = _apply(config, s, parsed[name], text, warnings, given)
    return config
