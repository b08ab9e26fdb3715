"""The pad's layers: what can be drawn on it, each with a toggle the user can switch off.

Every layer is one entry of ``LAYERS``. ``pad.js`` draws a layer only while its
toggle is on (``shown(S, "<key>")``), and builds the toggles from the list this
module sends, so adding a layer is: one ``Layer`` here, and its drawing in
``pad.js`` under the same key. A layer appears on a pad only if the pad has
everything it ``needs`` (see ``features``): a plain autoencoder has no posterior
to draw, an image dataset has no 2-D manifold grid.

The user's choices are kept for the session (``vae.ui.state.pad_layers``) and
shared by every pad: hiding the grid on Explore hides it on Compare too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vae.ui import palette

# What a pad can have; a layer lists the ones it needs.
SCATTER = "scatter"  # a 2-D data view (the data are two columns)
VARIATIONAL = "variational"  # the encoder has a variance (VAE, beta-VAE)
SAMPLES = "samples"  # prior samples were drawn
TRUTH = "truth"  # the page computes a clicked point's true posterior (vae.core.exact)


@dataclass(frozen=True)
class Layer:
    """One thing drawn on the pad that the user can hide (shown until then).

    ``key`` is the name ``pad.js`` draws it under and the session remembers it by; ``label``,
    ``color`` (also the layer's own) and ``help`` make its toggle; it appears only on a pad that
    has every feature it ``needs``.
    """

    key: str
    label: str
    color: str
    help: str
    needs: frozenset[str] = field(default_factory=frozenset)


LAYERS: tuple[Layer, ...] = (
    Layer(
        "data", "data", palette.DATA, "The data: encoded means on the latent plane, the points in data space"
    ),
    Layer(
        "manifold",
        "manifold grid",
        "#888888",
        "decoder(a grid of z over the prior's 3σ square), drawn in data space: the learned manifold",
        frozenset({SCATTER}),
    ),
    Layer("trail", "trail", palette.POINT, "Where the dragged point and its decoding have just been"),
    Layer(
        "samples",
        "prior samples",
        palette.PRIOR_SAMPLES,
        "z ~ N(0, I) and decoder(z): what the model generates",
        frozenset({SAMPLES}),
    ),
    Layer(
        "posterior",
        "posterior ellipses",
        palette.RECONSTRUCTION,
        "Click a data point: its posterior q(z|x) as 1σ and 2σ ellipses, and its reconstruction",
        frozenset({VARIATIONAL}),
    ),
    Layer(
        "true_posterior",
        "true posterior",
        palette.TRUE_POSTERIOR,
        "Click a data point: its true posterior p(z|x) = p(x|z) p(z) / p(x), computed on a grid, "
        "as a heat map under q's ellipses; where they differ, the ELBO falls short of log p(x)",
        frozenset({VARIATIONAL, TRUTH}),
    ),
    Layer(
        "rings",
        "σ rings",
        palette.PRIMARY,
        "The prior N(0, I): 1σ, 2σ and 3σ circles with the mass inside each",
    ),
)


def features(*, kind: str, variational: bool, samples: bool, truth: bool = False) -> frozenset[str]:
    """What a pad has, for ``Layer.needs``."""
    has = {SCATTER: kind == "scatter", VARIATIONAL: variational, SAMPLES: samples, TRUTH: truth}
    return frozenset(name for name, present in has.items() if present)


def layer_payload(has: frozenset[str], chosen: Mapping[str, bool]) -> list[dict]:
    """The toggles a pad shows: layers it can draw, each on or off as the user chose (else on)."""
    return [
        {
            "key": layer.key,
            "label": layer.label,
            "color": layer.color,
            "help": layer.help,
            "on": bool(chosen.get(layer.key, True)),
        }
        for layer in LAYERS
        if layer.needs <= has
    ]


def clean_choices(value: object) -> dict[str, bool]:
    """The known layers' on/off flags in a value sent by the browser (anything else is dropped)."""
    if not isinstance(value, Mapping):
        return {}
    known = {layer.key for layer in LAYERS}
    return {k: v for k, v in value.items() if k in known and isinstance(v, bool)}
