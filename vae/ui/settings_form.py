"""Form widgets generated from the settings schema (``vae.settings``): one per setting.

``draw`` puts a setting's widget on the page; the Train, Compare and Data forms all use it,
so a setting looks and checks the same everywhere. ``to_widget`` and ``from_widget`` convert
between a setting's value and what its widget holds ("64, 32" for layer sizes; a value off a
slider's scale snaps to the nearest one, and a value beyond a widget's bounds is clipped, each
with a note for the user).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from vae.config import ModelConfig, TrainConfig
from vae.settings import Setting, parse_units, schema, units_text

SETTINGS: tuple[Setting, ...] = schema(ModelConfig, TrainConfig)


def spoken(label: str) -> str:
    """A label inside a sentence: "Learning rate" -> "learning rate", "L1 weight λ" stays."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _nearest(value: float, scale: tuple[Any, ...]) -> Any:
    return min(scale, key=lambda c: abs(math.log(c) - math.log(value))) if value > 0 else scale[0]


def to_widget(s: Setting, value: Any, source: str = "the settings") -> tuple[Any, str | None]:
    """What ``s``'s widget holds for a valid ``value``, and a note if the widget cannot show it
    exactly; ``source`` says where the value came from ("the link", "the run")."""
    if s.kind == "units":
        return units_text(value, ", "), None
    if s.kind in ("bool", "choice", "text"):
        return value, None
    if s.kind == "names":
        return list(value), None
    if s.scale:
        if value in s.scale:
            return value, None
        snapped = _nearest(value, s.scale)
        return snapped, (
            f"The {spoken(s.label)} {value:g} from {source} is not on the Train page's scale; "
            f"using {snapped:g}."
        )
    low, high = s.form_bounds()
    number = int(value) if s.kind == "int" else float(value)
    shown = min(max(number, low), high)
    if shown != number:
        return shown, (
            f"The {spoken(s.label)} {value:g} from {source} is beyond the Train page's range "
            f"[{low:g}, {high:g}]; using {shown:g}."
        )
    return shown, None


def from_widget(s: Setting, held: Any) -> Any:
    """The setting's value from what its widget holds (ValueError names the field, e.g. for layer
    sizes that are not numbers)."""
    if s.kind == "units":
        return parse_units(str(held), s.label)
    return {"names": tuple, "int": int, "float": float, "bool": bool}.get(s.kind, lambda v: v)(held)


def form_values(
    model_config: ModelConfig, train_config: TrainConfig, prefix: str, source: str = "the settings"
) -> tuple[dict[str, Any], list[str]]:
    """Every setting's widget value (``{prefix + name: value}``) and notes on what had to change."""
    configs = {ModelConfig: model_config, TrainConfig: train_config}
    shown = {prefix + s.name: to_widget(s, getattr(configs[s.owner], s.field), source) for s in SETTINGS}
    return {key: value for key, (value, _) in shown.items()}, [note for _, note in shown.values() if note]


def configs_from(values: Mapping[str, Any], prefix: str, input_dim: int) -> tuple[ModelConfig, TrainConfig]:
    """Validated configs from widget values (``{prefix + name: value}``; a missing one is the default);
    ValueError names the setting of the first problem."""
    fields: dict[type, dict[str, Any]] = {ModelConfig: {"input_dim": input_dim}, TrainConfig: {}}
    for s in SETTINGS:
        key = prefix + s.name
        fields[s.owner][s.field] = from_widget(s, values[key]) if key in values else s.default
    return ModelConfig(**fields[ModelConfig]), TrainConfig(**fields[TrainConfig])


def draw(
    s: Setting,
    where: Any,
    key: str,
    *,
    disabled: bool = False,
    on_change: Callable[[], None] | None = None,
    **options: Any,
) -> Any:
    """Draw ``s``'s widget in ``where`` (``st``, a column, a form) and return its value.

    The value lives in the session-state ``key``: set it before the first draw (the widget takes
    no value). ``options`` go to the widget (e.g. ``persist_state``).
    """
    common: dict[str, Any] = {"key": key, "disabled": disabled, "on_change": on_change, "help": s.help}
    common.update(options)
    if s.widget == "text":
        return where.text_input(s.label, **common)
    if s.widget == "toggle":
        return where.toggle(s.label, **common)
    if s.widget in ("select", "radio"):
        labels = dict(s.choice_labels)
        if s.widget == "radio":
            common["horizontal"] = True
        widget = where.radio if s.widget == "radio" else where.selectbox
        return widget(s.label, s.choices, format_func=lambda c: labels.get(c, c), **common)
    if s.widget == "select_slider":
        return where.select_slider(s.label, s.scale, format_func=lambda v: f"{v:g}", **common)
    low, high = s.form_bounds()
    step = int(s.step or 1) if s.kind == "int" else float(s.step or 0.1)
    if s.widget == "slider":
        return where.slider(s.label, low, high, step=step, **common)
    return where.number_input(s.label, min_value=low, max_value=high, step=step, format=s.fmt, **common)
