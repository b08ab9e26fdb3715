"""The settings schema: each setting is declared once, as a config field.

A field of ``DataConfig``, ``ModelConfig`` or ``TrainConfig`` (vae/config.py) declared with ``setting(...)``
carries everything the rest of the app derives from it: its type and default (the field's
own), its valid range (checked by the config class), its label and help text, its CLI flag
and URL name, its form widget and the form section it sits in. Walking ``schema()`` gives

- the ``train`` command's options (vae/__main__.py),
- the parameters of a shared link, read and written (vae/storage/share.py),
- the reproduce command (vae/storage/reproduce.py),
- a bundle's settings (``to_dict`` / ``from_dict`` of the config classes),
- the Train form, its Advanced section and the Compare form's widgets (vae/ui/settings_form.py),
- the Data page's generator form and scaling choice (vae/ui/data_form.py).

A data setting's default and bounds may depend on the preset (two moons take noise up to 0.5,
the digits are 1,797 images): ``per_preset`` names the attributes of the preset's spec
(vae/data/presets.py) that replace them, and ``specialize`` applies it, for every reader alike.

None of them lists settings by hand. Adding a hyperparameter end to end touches two files:
declare its field in vae/config.py with ``setting(...)``, and use it where the model or the
trainer needs it (vae/training/models.py, vae/training/engine.py or vae/core/losses.py); a data
setting, where the dataset is generated or read (vae/data/presets.py or vae/data/build.py).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

MAX_LAYERS = 6
MAX_UNITS = 1024

Kind = Literal["int", "float", "bool", "choice", "units", "text", "names"]
Widget = Literal["number", "text", "select", "select_slider", "slider", "toggle", "radio", "multiselect"]
# The Train form's sections, then the Data page's: its generator, its uploads, and what applies to both.
Section = Literal["Model", "Training", "Advanced", "Generate", "Upload", "Data"]
SECTIONS: tuple[Section, ...] = ("Model", "Training", "Advanced")  # the Train form's, in its order


@dataclass(frozen=True)
class Setting:
    """One setting's declaration: what every reader and writer of settings needs to know.

    Attributes:
        label: what the form and messages call it ("Learning rate").
        help: one or two sentences for the form's tooltip and the CLI's ``--help``.
        section: where the Train form shows it ("Advanced" sits in an expander).
        widget: the form control: number, text, select, select_slider, slider or toggle.
        name: its URL parameter; the CLI flag is ``--`` + name with dashes. Default: the field.
        low, high, low_open, high_open: the valid range of a number (the config checks it).
        step, fmt: the number widget's step and display format.
        form_low, form_high: the widget's bounds where they are narrower than the valid range
            (a link or bundle value outside them is clipped, with a note).
        scale: the values a select_slider offers (others snap to the nearest, with a note).
        choice_labels: how a select shows each choice.
        when: ``(field, value)``: the setting matters only then (the reproduce command leaves
            it out otherwise and the Train form greys it out).
        live: may change between epochs of a running training (learning rate, beta).
        wide: takes a whole row of the form.
        cli: the ``train`` command takes it (a run "until I pause" has no place in a terminal).
        cli_help: the CLI's help where it differs from the form's (``--data`` also takes a file).
        aliases: more CLI flags for it (an older spelling).
        link: it travels in a shared link (an upload's columns stay on the user's computer).
        key: the value sits at ``config.<field>[key]`` (a preset's shape parameter in
            ``params``); such a setting declares its ``kind``, and its default is None (absent).
        per_preset: ``{attribute: name}``: the attributes (default, form bounds, step, label)
            that are the preset spec's ``name`` for the chosen preset (``specialize``).
        field, owner, kind, default, choices: filled in by ``schema()`` from the dataclass field.
    """

    label: str
    help: str
    section: Section
    widget: Widget
    name: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    step: float | None = None
    fmt: str | None = None
    form_low: float | None = None
    form_high: float | None = None
    scale: tuple[Any, ...] = ()
    choice_labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    when: tuple[str, Any] | None = None
    live: bool = False
    wide: bool = False
    cli: bool = True
    cli_help: str = ""
    aliases: tuple[str, ...] = ()
    link: bool = True
    key: str = ""
    per_preset: Mapping[str, str] = dataclasses.field(default_factory=dict)
    field: str = ""
    owner: type | None = None
    kind: Kind = "int"
    default: Any = None
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        """The CLI option, e.g. ``--batch-size``."""
        return "--" + self.name.replace("_", "-")

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Whether this setting matters given the other fields (``{field: value}``; a tuple: any of them)."""
        if self.when is None:
            return True
        field, wanted = self.when
        return values.get(field) in wanted if isinstance(wanted, tuple) else values.get(field) == wanted

    def form_bounds(self) -> tuple[Any, Any]:
        """The widget's lowest and highest value, typed as the setting (number_input needs that)."""
        low = self.form_low if self.form_low is not None else self.low
        high = self.form_high if self.form_high is not None else self.high
        cast = int if self.kind == "int" else float
        return cast(low), cast(high)


def setting(default: Any, label: str, help: str, section: Section, widget: Widget, **options: Any) -> Any:
    """A dataclass field declared as a setting (keyword options as in ``Setting``).

    A mutable ``default`` (the ``params`` dict) becomes a factory: each config gets its own.
    """
    meta = {"setting": Setting(label, help, section, widget, **options)}
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def specialize(s: Setting, spec: Any) -> Setting | None:
    """``s`` for one preset: its ``per_preset`` attributes read from ``spec``.

    Returns:
        The setting with the preset's default, bounds, step or label; None when the preset has
        no such setting (a spec attribute it names is None: two moons have no shape parameter).
    """
    found = {attr: getattr(spec, name) for attr, name in s.per_preset.items()}
    if any(value is None for value in found.values()):
        return None
    return dataclasses.replace(s, **found)


def value_of(config: Any, s: Setting) -> Any:
    """The value of ``s`` in ``config`` (a keyed setting's is None when absent)."""
    value = getattr(config, s.field)
    return value.get(s.key) if s.key else value


def with_value(config: Any, s: Setting, value: Any) -> Any:
    """``config`` with ``s`` set to ``value``, validated by the config class (``ValueError`` naming
    the field when the value is not valid)."""
    if s.key:
        value = {**getattr(config, s.field), s.key: value}
    return dataclasses.replace(config, **{s.field: value})


_KINDS = {str: "text", str | None: "text", tuple[str, ...]: "names", bool: "bool", int: "int", float: "float"}


def _kind_of(hint: Any) -> tuple[Kind, tuple[str, ...]]:
    if hint in _KINDS:
        return _KINDS[hint], ()
    if typing.get_origin(hint) is Literal:
        return "choice", tuple(typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return "units", ()
    raise TypeError(f"A setting must be an int, float, bool, Literal or tuple of ints. Received: {hint!r}")


@functools.cache
def schema(*classes: type) -> tuple[Setting, ...]:
    """The settings declared in ``classes``, in declaration order, with field, type and default filled in.

    Raises:
        TypeError: if two classes declare the same field or URL name (a flat namespace keeps
            links and command lines unambiguous).
    """
    found: list[Setting] = []
    for cls in classes:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            meta = f.metadata.get("setting")
            if meta is None:
                continue
            kind, choices = (meta.kind, ()) if meta.key else _kind_of(hints[f.name])
            found.append(
                dataclasses.replace(
                    meta,
                    name=meta.name or f.name,
                    field=f.name,
                    owner=cls,
                    kind=kind,
                    default=None if meta.key else f.default,
                    choices=choices,
                )
            )
    for attr in ("field", "name"):
        names = [getattr(s, attr) for s in found]
        if len(set(names)) != len(names):
            raise TypeError(f"Settings must have distinct {attr}s. Received: {names}")
    return tuple(found)


# --- checks (Keras-style messages: the field, the rule, the value received) ----------------------
def fail(name: str, value: Any, rule: str) -> typing.NoReturn:
    raise ValueError(f"{name} {rule}. Received: {name}={value!r}")


def check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(name, value, "must be an integer")
    if not low <= value <= high:
        fail(name, value, f"must be in [{low}, {high:,}]")


def check_float(
    name: str, value: Any, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(name, value, "must be a finite number")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        fail(name, value, f"must be in {left}{low:g}, {high:g}{right}")


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        fail(name, value, f"must be one of {', '.join(choices)}")


def check_layers(name: str, value: Any) -> None:
    if not isinstance(value, tuple) or not 1 <= len(value) <= MAX_LAYERS:
        fail(name, value, f"must list 1 to {MAX_LAYERS} hidden layer sizes")
    for units in value:
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
            fail(name, value, f"must hold layer sizes in [1, {MAX_UNITS}]")


def validate(config: Any) -> None:
    """Check every declared setting of ``config`` against its type and range.

    Raises:
        ValueError: naming the first bad field, its rule and the value received.
    """
    for s in schema(type(config)):
        value = getattr(config, s.field)
        if s.key:
            continue  # a preset's shape parameter: its range is the preset's (presets.preset_param)
        if s.kind == "text":
            optional = s.default is None  # a label column: none is a choice
            if not isinstance(value, str) and not (optional and value is None):
                fail(s.field, value, "must be text or null" if optional else "must be text")
        elif s.kind == "names":
            if not isinstance(value, tuple) or not all(isinstance(c, str) for c in value):
                fail(s.field, value, "must be a list of column names")
        elif s.kind == "int":  # numbers declare both bounds
            check_int(s.field, value, int(s.low), int(s.high))  # type: ignore[arg-type]
        elif s.kind == "float":
            check_float(s.field, value, s.low, s.high, low_open=s.low_open, high_open=s.high_open)  # type: ignore[arg-type]
        elif s.kind == "bool":
            if not isinstance(value, bool):
                fail(s.field, value, "must be true or false")
        elif s.kind == "choice":
            check_choice(s.field, value, s.choices)
        else:
            check_layers(s.field, value)


# --- text: one reader and one writer for links, command lines and form fields --------------------
def parse_units(text: str, name: str = "layer sizes") -> tuple[int, ...]:
    """Parse "64, 32" (or "64,32", "64 32") into (64, 32).

    Raises:
        ValueError: naming ``name`` if ``text`` is not 1 to MAX_LAYERS sizes in [1, MAX_UNITS].
    """
    try:
        sizes = tuple(int(p) for p in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(
            f'{name}: layer sizes must be whole numbers separated by commas, e.g. "64, 32". Received: {text!r}'
        ) from None
    if not 1 <= len(sizes) <= MAX_LAYERS:
        raise ValueError(f'{name}: give 1 to {MAX_LAYERS} hidden layers, e.g. "64, 32". Received: {text!r}')
    if any(not 1 <= s <= MAX_UNITS for s in sizes):
        raise ValueError(f"{name}: each layer needs 1 to {MAX_UNITS} units. Received: {text!r}")
    return sizes


def units_text(units: tuple[int, ...], sep: str = ",") -> str:
    """(64, 32) as "64,32" (links, command lines) or, with ``sep=", "``, as the form shows it."""
    return sep.join(str(u) for u in units)


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def from_text(s: Setting, text: str) -> Any:
    """The value ``text`` stands for, not yet range-checked (the config class does that); a
    ``ValueError`` says what was expected and what was received."""
    text = text.strip()
    if s.kind in ("text", "choice"):
        return text
    if s.kind == "names":
        return tuple(name.strip() for name in text.split(",")) if text else ()
    if s.kind == "units":
        return parse_units(text, s.name)
    if s.kind == "bool":
        if text.lower() in (*_TRUE, *_FALSE):
            return text.lower() in _TRUE
        raise ValueError(f"expected true or false. Received: {text!r}")
    try:
        return int(text) if s.kind == "int" else float(text)
    except ValueError:
        what = "a whole number" if s.kind == "int" else "a number"
        raise ValueError(f"expected {what}. Received: {text!r}") from None


def to_text(s: Setting, value: Any) -> str:
    """``value`` as ``from_text`` reads it back exactly (floats by ``repr``: 0.1 stays 0.1).

    No text (a CSV's label column) is "none", as the ``train`` command's ``--label none``.
    """
    if s.kind == "text":
        return "none" if value is None else value
    if s.kind == "names":
        return ",".join(value)
    if s.kind == "units":
        return units_text(value)
    if s.kind == "bool":
        return "true" if value else "false"
    if s.kind == "float":
        return repr(float(value))
    return str(value)
