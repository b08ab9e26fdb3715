"""vae/core/explore.py: readouts equal Keras's decoder in original units, clamping, paths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.closeness import assert_same_decoding
from vae.config import DataConfig, ModelConfig
from vae.core import explore
from vae.core.decode import NetworkWeights, latent_grid
from vae.data.dataset import Standardizer
from vae.data.presets import generate


@pytest.fixture(scope="module")
def keras_model():
    """A built default VAE on 2-D data with non-trivial random weights (and its NumPy copy)."""
    from vae.training.models import build_model, get_network_weights, set_network_weights

    model = build_model(ModelConfig(input_dim=2), seed=3)
    weights = get_network_weights(model)
    rng = np.random.default_rng(0)
    # Keras initialises biases to zero: perturb every array so the test sees them.
    arrays = [a + rng.normal(0.0, 0.3, a.shape).astype(np.float32) for a in weights.arrays()]
    it = iter(arrays)
    pairs = [(next(it), next(it)) for _ in range(len(arrays) // 2)]
    n_enc = len(weights.encoder)
    weights = NetworkWeights(
        encoder=pairs[:n_enc],
        z_mean=pairs[n_enc],
        z_log_var=pairs[n_enc + 1],
        decoder=pairs[n_enc + 2 : -1],
        x_mean=pairs[-1],
        activation="relu",
    )
    set_network_weights(model, weights)
    return model, weights


@pytest.fixture(scope="module")
def standardizer() -> Standardizer:
    # Units far from 1 and an offset: un-standardizing must be part of what is tested.
    return Standardizer(offset=np.array([250.0, -3.0]), scale=np.array([40.0, 0.02]))


def test_readout_equals_keras_decoder_in_original_units(keras_model, standardizer):
    model, weights = keras_model
    zs = np.array([[0.0, 0.0], [1.3, -0.7], [-2.9, 2.2], [0.05, 3.4]])
    keras_x = standardizer.inverse_transform(np.asarray(model.decoder(zs.astype(np.float32))))
    for z, expected in zip(zs, keras_x, strict=True):
        r = explore.readout(weights, standardizer, z, limit=3.5)
        assert not r.clamped
        np.testing.assert_allclose(r.z, z)
        assert_same_decoding(r.x, expected, standardizer.scale)


def test_readout_of_a_far_point_is_clamped_and_still_correct(keras_model, standardizer):
    model, weights = keras_model
    r = explore.readout(weights, standardizer, [40.0, -1e9], limit=3.5)
    assert r.clamped
    np.testing.assert_array_equal(r.z, [3.5, -3.5])
    expected = standardizer.inverse_transform(np.asarray(model.decoder(np.array([[3.5, -3.5]], np.float32))))
    assert_same_decoding(r.x, expected[0], standardizer.scale)
    assert r.density == pytest.approx(math.exp(-0.5 * 2 * 3.5**2) / (2 * math.pi))
    assert r.log_density == pytest.approx(-0.5 * 2 * 3.5**2 - math.log(2 * math.pi))


def test_readout_rejects_a_wrong_number_of_coordinates(keras_model, standardizer):
    with pytest.raises(ValueError, match="2 coordinates"):
        explore.readout(keras_model[1], standardizer, [0.0, 0.0, 0.0], limit=3.5)


def test_clamp_z_replaces_non_finite_values_and_limits_the_range():
    z, changed = explore.clamp_z([np.nan, np.inf], 3.0)
    np.testing.assert_array_equal(z, [0.0, 0.0])  # as the pad does: unknown -> origin
    assert changed
    z, changed = explore.clamp_z((1.0, -2.0), 3.0)
    np.testing.assert_array_equal(z, [1.0, -2.0])
    assert not changed
    with pytest.raises(ValueError, match="limit"):
        explore.clamp_z([0, 0], 0.0)


def test_interpolation_path_is_evenly_spaced_between_the_ends():
    path = explore.interpolation_path([0.0, 1.0], [2.0, -1.0], steps=5)
    np.testing.assert_allclose(path, [[0, 1], [0.5, 0.5], [1, 0], [1.5, -0.5], [2, -1]])
    with pytest.raises(ValueError, match="steps"):
        explore.interpolation_path([0, 0], [1, 1], steps=1)


def test_pad_limit_covers_the_prior_and_the_data_but_stays_bounded():
    assert explore.pad_limit(None) == explore.MIN_PAD_LIMIT
    assert explore.pad_limit(np.array([[0.1, 0.2]])) == explore.MIN_PAD_LIMIT
    wide = np.random.default_rng(0).normal(0, 2.5, (1000, 2))
    limit = explore.pad_limit(wide)
    assert explore.MIN_PAD_LIMIT < limit <= explore.MAX_PAD_LIMIT
    assert (np.abs(wide).max(axis=1) <= limit).mean() >= 0.99
    assert limit * 2 == int(limit * 2)  # half units
    assert explore.pad_limit(np.array([[1e6, 0.0], [np.nan, 0.0]])) == explore.MAX_PAD_LIMIT


def test_prior_samples_decode_seeded_normal_draws(keras_model, standardizer):
    model, weights = keras_model
    z, x = explore.prior_samples_original(weights, standardizer, 50, seed=7)
    z2, _ = explore.prior_samples_original(weights, standardizer, 50, seed=7)
    np.testing.assert_array_equal(z, z2)
    assert z.shape == (50, 2) and x.shape == (50, 2)
    expected = standardizer.inverse_transform(np.asarray(model.decoder(z.astype(np.float32))))
    assert_same_decoding(x, expected, standardizer.scale)
    with pytest.raises(ValueError, match="n must be"):
        explore.prior_samples_original(weights, standardizer, 0)


def test_decode_original_keeps_the_grid_shape(keras_model, standardizer):
    _, weights = keras_model
    grid = latent_grid(-3.0, 3.0, steps=7).reshape(7, 7, 2)
    assert grid.shape == (7, 7, 2)
    np.testing.assert_allclose(grid[0, 0], [-3, -3])
    np.testing.assert_allclose(grid[0, -1], [3, -3])  # rows vary z2, columns z1
    out = explore.decode_original(weights, standardizer, grid)
    assert out.shape == (7, 7, 2)
    np.testing.assert_allclose(out[2, 5], explore.readout(weights, standardizer, grid[2, 5], 3.5).x)


def test_refuse_reason_explains_each_unusable_model(keras_model):
    _, weights = keras_model
    assert explore.refuse_reason(weights) is None
    assert "no weights yet" in explore.refuse_reason(None)
    broken = NetworkWeights(
        encoder=weights.encoder,
        z_mean=weights.z_mean,
        z_log_var=weights.z_log_var,
        decoder=weights.decoder,
        x_mean=(np.full_like(weights.x_mean[0], np.nan), weights.x_mean[1]),
        activation="relu",
    )
    reason = explore.refuse_reason(broken, "Loss became NaN at epoch 3.")
    assert "not finite" in reason and "epoch 3" in reason and "learning rate" in reason


def test_display_subset_is_all_rows_or_a_fixed_sorted_sample():
    np.testing.assert_array_equal(explore.display_subset(5, 10), np.arange(5))
    a, b = explore.display_subset(10_000, 100, seed=1), explore.display_subset(10_000, 100, seed=1)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 100 and (np.diff(a) > 0).all()


def test_pad_payload_is_plain_json_with_the_decoder_and_standardizer(keras_model):
    import json

    from vae.ui.latent_pad import pad_payload

    _, weights = keras_model
    dataset = generate(DataConfig(n_samples=300))
    data = pad_payload(weights, dataset, key="k", z=(0.5, -0.5))
    text = json.dumps(data)  # no NumPy arrays left (they would go to Arrow)
    back = json.loads(text)
    assert back["z"] == [0.5, -0.5]
    assert back["kind"] == "scatter" and len(back["means"]) == 300
    assert len(back["decoder"]["layers"]) == len(weights.decoder) + 1
    np.testing.assert_allclose(back["decoder"]["layers"][-1]["W"], weights.x_mean[0])
    np.testing.assert_allclose(back["scale"], dataset.standardizer.scale)
    assert set(back["labels"]) == {0, 1}


def test_pad_offers_the_layers_it_can_draw_with_the_users_choices(keras_model):
    from vae.ui.latent_pad import HINTS, pad_payload
    from vae.ui.latent_pad.layers import LAYERS, clean_choices, features, layer_payload

    _, weights = keras_model
    moons = generate(DataConfig(n_samples=200))
    data = pad_payload(weights, moons, key="k", layers={"manifold": False})
    offered = {layer["key"]: layer["on"] for layer in data["layers"]}
    # No prior samples drawn yet: no toggle for them; the grid is off as the user chose.
    assert offered == {"data": True, "manifold": False, "trail": True, "posterior": True, "rings": True}
    samples = (np.zeros((3, 2)), np.zeros((3, 2)))
    plain_ae = pad_payload(weights, moons, key="k", samples=samples, variational=False, mode="interpolate")
    assert [layer["key"] for layer in plain_ae["layers"]] == ["data", "manifold", "trail", "samples", "rings"]
    assert plain_ae["hint"] == HINTS["interpolate"] and "drag" not in plain_ae["hint"].lower()
    # An image dataset (8 x 8 digits) has no 2-D manifold grid to hide.
    image = layer_payload(features(kind="image", variational=True, samples=False), {})
    assert [layer["key"] for layer in image] == ["data", "trail", "posterior", "rings"]
    # What the browser sends back is filtered to known layers and booleans.
    assert clean_choices({"manifold": False, "rings": "no", "<img>": True}) == {"manifold": False}
    assert clean_choices(["manifold"]) == {}
    assert len({layer.key for layer in LAYERS}) == len(LAYERS)


def test_pad_offers_the_true_posterior_where_the_page_computes_it(keras_model):
    from vae.core import exact
    from vae.ui.latent_pad import pad_payload

    _, weights = keras_model
    moons = generate(DataConfig(n_samples=200))
    x = moons.standardized()[7]
    grid = exact.point_truth(weights, x, 0.1).posterior
    data = pad_payload(weights, moons, key="k", offer_truth=True, truth=(7, grid))
    assert "true_posterior" in [layer["key"] for layer in data["layers"]]
    truth = data["true_posterior"]
    assert truth["row"] == 7 and truth["steps"] == len(grid.z1)
    assert truth["z1"] == [grid.z1[0], grid.z1[-1]] and truth["z2"] == [grid.z2[0], grid.z2[-1]]
    density = np.asarray(truth["density"]).reshape(grid.density.shape)  # row-major, z2 rows
    np.testing.assert_allclose(density, grid.density / grid.density.max(), atol=5e-4)
    # A pad that does not compute it (Compare's) offers no such toggle; a plain autoencoder neither.
    assert "true_posterior" not in [layer["key"] for layer in pad_payload(weights, moons, key="k")["layers"]]
    plain = pad_payload(weights, moons, key="k", variational=False, offer_truth=True)
    assert (
        "true_posterior" not in [layer["key"] for layer in plain["layers"]]
        and plain["true_posterior"] is None
    )
