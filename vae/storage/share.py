"""Settings in a link, like TensorFlow Playground: to and from a flat dict of strings.

``to_params`` turns a preset dataset's settings and the hyperparameters into
URL query parameters; ``from_params`` turns a (possibly hand-edited, possibly
hostile) dict back into validated configs. A bad or unknown parameter never
fails the whole link: it is ignored, the default is kept, and a warning says
which one and why. Only presets travel in a link; an upload or a drawing is
the user's own data and stays on their computer (a run bundle carries it).

Parameter names follow the CLI's flags (``--batch-size`` -> ``batch_size``).
Pure Python: no Streamlit (see ``vae.ui.share`` for the glue).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.data.dataset import DataError
from vae.data.presets import MAX_PRESET_POINTS, PRESETS, preset_param
from vae.settings import from_text, schema, to_text

MAX_VALUE_CHARS = 64  # a longer value is not a setting
MAX_PARAMS = 64  # a longer query string is not ours
IGNORED = frozenset({"embed", "embed_options"})  # Streamlit's own query parameters

# The dataset's parameters: URL name -> (DataConfig field, or "k" of its params; parser). Parsers
# raise ValueError on bad text. A dataset travels only as a preset, so these are link-only; the
# hyperparameters come from the settings schema (vae.settings), named as the CLI's flags.


def _int(text: str) -> int:
    return int(text.strip())


def _float(text: str) -> float:
    return float(text.strip())


def _text(text: str) -> str:
    return text.strip()


DATA_PARAMS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "data": ("preset", _text),
    "n_samples": ("n_samples", _int),
    "noise": ("noise", _float),
    "data_seed": ("seed", _int),
    "param": ("k", _int),  # the preset's shape parameter, params["k"]
    "scaling": ("scaling", _text),
}
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
    given: tuple[str, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.given


def _num(value: float) -> str:
    # repr round-trips exactly and stays short for the usual values (0.001, 0.05).
    return repr(float(value))


def to_params(
    data_config: DataConfig | None, model_config: ModelConfig | None, train_config: TrainConfig | None
) -> dict[str, str]:
    """Settings as query parameters; only what differs from the defaults (short links).

    Args:
        data_config: shared only when it is a preset (None or an upload: left out).
        model_config, train_config: the hyperparameters (None: left out).

    Returns:
        ``{name: text}``; ``from_params`` of it gives the same settings back.
    """
    params: dict[str, str] = {}
    if data_config is not None and data_config.source == "preset" and data_config.preset in PRESETS:
        params["data"] = data_config.preset
        base = DataConfig()
        if data_config.n_samples != base.n_samples:
            params["n_samples"] = str(data_config.n_samples)
        params["noise"] = _num(data_config.noise)  # each preset has its own default noise
        if data_config.seed != base.seed:
            params["data_seed"] = str(data_config.seed)
        if "k" in data_config.params:
            params["param"] = str(data_config.params["k"])
        if data_config.scaling != base.scaling:
            params["scaling"] = data_config.scaling
    for config in (model_config, train_config):
        if config is None:
            continue
        for setting in schema(type(config)):
            value = getattr(config, setting.field)
            if value != setting.default:
                params[setting.name] = to_text(setting, value)
    return params


def _first(value: Any) -> str | None:
    # st.query_params gives the last value of a repeated key; a plain dict may hold a list.
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


def _apply(config, attr: str, value: Any, name: str, text: str, warnings: list[str]):
    try:
        return config.replace(**{attr: value})
    except (ValueError, TypeError) as err:
        reason = " ".join(str(err).split())[:160]
        warnings.append(f"Ignored {name}={text[:MAX_VALUE_CHARS]!r} from the link: {reason}")
        return config


def from_params(
    params: Mapping[str, Any],
    *,
    model_config: ModelConfig | None = None,
    train_config: TrainConfig | None = None,
) -> SharedSettings:
    """Validated settings from query parameters; bad ones are skipped with a warning.

    Args:
        params: ``{name: text}`` (e.g. ``st.query_params.to_dict()``).
        model_config, train_config: the starting point the link changes
            (defaults: ``ModelConfig()``, ``TrainConfig()``).

    Returns:
        ``SharedSettings``; never raises for bad input.
    """
    warnings: list[str] = []
    given: list[str] = []
    model = model_config or ModelConfig()
    train = train_config or TrainConfig()
    items = [(k, v) for k, v in params.items() if k not in IGNORED]
    if len(items) > MAX_PARAMS:
        warnings.append(f"The link has {len(items)} parameters; only the first {MAX_PARAMS} were read.")
        items = items[:MAX_PARAMS]
    values: dict[str, str] = {}
    for name, raw in items:
        text = _first(raw)
        if not isinstance(name, str) or name not in KNOWN:
            warnings.append(f"Ignored unknown link parameter {str(name)[:40]!r}.")
        elif text is None or len(text) > MAX_VALUE_CHARS:
            warnings.append(f"Ignored {name} from the link: the value is missing or too long.")
        else:
            values[name] = text

    parsed: dict[str, Any] = {}
    for name, text in values.items():
        if name in SETTINGS:
            try:
                parsed[name] = from_text(SETTINGS[name], text)
            except ValueError as err:
                warnings.append(f"Ignored {name}={text!r} from the link: {err}")
            continue
        _, parse = DATA_PARAMS[name]
        try:
            parsed[name] = parse(text)
        except ValueError:
            warnings.append(
                f"Ignored {name}={text!r} from the link: not a valid {parse.__name__.strip('_')}."
            )

    configs = {ModelConfig: model, TrainConfig: train}
    for name, setting in SETTINGS.items():
        if name in parsed:
            config = configs[setting.owner]
            new = _apply(config, setting.field, parsed[name], name, values[name], warnings)
            given += [name] if new is not config else []
            configs[setting.owner] = new
    model, train = configs[ModelConfig], configs[TrainConfig]

    data = _data_config(parsed, values, warnings, given)
    return SharedSettings(
        data_config=data, model_config=model, train_config=train, warnings=tuple(warnings), given=tuple(given)
    )


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
    spec = PRESETS[preset]
    n_default = 1797 if preset == "digits" else DataConfig().n_samples
    config = DataConfig(preset=preset, n_samples=n_default, noise=spec.noise, name=spec.title)
    given.append("data")
    if "n_samples" in parsed:
        n = parsed["n_samples"]
        limit = 1797 if preset == "digits" else MAX_PRESET_POINTS
        if isinstance(n, int) and not 10 <= n <= limit:
            warnings.append(
                f"Ignored n_samples={values['n_samples']!r} from the link: {spec.title} takes "
                f"10 to {limit:,} points."
            )
        else:
            new = _apply(config, "n_samples", n, "n_samples", values["n_samples"], warnings)
            given += ["n_samples"] if new is not config else []
            config = new
    if "noise" in parsed:
        noise = parsed["noise"]
        if noise > spec.noise_max or noise < 0:
            warnings.append(
                f"Ignored noise={values['noise']!r} from the link: {spec.title} takes noise in "
                f"[0, {spec.noise_max:g}]."
            )
        else:
            new = _apply(config, "noise", noise, "noise", values["noise"], warnings)
            given += ["noise"] if new is not config else []
            config = new
    for name, attr in (("data_seed", "seed"), ("scaling", "scaling")):
        if name in parsed:
            new = _apply(config, attr, parsed[name], name, values[name], warnings)
            given += [name] if new is not config else []
            config = new
    if "param" in parsed:
        if not spec.param:
            warnings.append(
                f"Ignored param={values['param']!r} from the link: {spec.title} has no shape parameter."
            )
        else:
            candidate = dataclasses.replace(config, params={"k": parsed["param"]})
            try:
                preset_param(candidate)
                config = candidate
                given.append("param")
            except DataError as err:
                warnings.append(f"Ignored param={values['param']!r} from the link: {err}")
    return config
