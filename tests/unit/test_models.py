import numpy as np
import pytest
import tensorflow as tf

from vae.config import ModelConfig
from vae.core import losses
from vae.core.decode import decode, encode, latent_grid, reconstruct
from vae.training.models import Sampling, build_model, get_network_weights, set_network_weights


def test_encoder_has_separate_mean_and_log_variance_heads():
    model = build_model(ModelConfig(encoder_units=(16, 8)))
    names = [layer.name for layer in model.encoder.layers]
    assert names == ["x", "encoder_dense_1", "encoder_dense_2", "z_mean", "z_log_var"]
    mean_kernel = model.encoder.get_layer("z_mean").kernel
    log_var_kernel = model.encoder.get_layer("z_log_var").kernel
    assert mean_kernel is not log_var_kernel
    assert not np.allclose(mean_kernel.numpy(), log_var_kernel.numpy())


def test_gradients_reach_both_encoder_heads_through_sampling():
    model = build_model(ModelConfig())
    x = tf.constant(np.random.default_rng(0).normal(size=(32, 2)), tf.float32)
    with tf.GradientTape() as tape:
        loss = model.loss_terms(x, 1.0)["loss"]
    grads = tape.gradient(loss, model.trainable_variables)
    by_name = {v.path: g for v, g in zip(model.trainable_variables, grads, strict=True)}
    for head in ("z_mean", "z_log_var"):
        kernel_grad = next(g for path, g in by_name.items() if f"{head}/kernel" in path)
        assert float(tf.reduce_max(tf.abs(kernel_grad))) > 0.0


def test_sampling_uses_mean_and_std():
    layer = Sampling(seed=1)
    z_mean = tf.fill((20000, 2), 3.0)
    z_log_var = tf.fill((20000, 2), np.log(0.25).astype(np.float32))
    z = layer([z_mean, z_log_var]).numpy()
    assert z.mean() == pytest.approx(3.0, abs=0.02)
    assert z.std() == pytest.approx(0.5, abs=0.02)


def test_sampling_layer_matches_its_numpy_twin():
    """The training graph and the NumPy pages reparameterize with one formula (losses.reparameterize)."""
    rng = np.random.default_rng(2)
    z_mean, z_log_var, eps = rng.normal(size=(3, 64, 2)).astype(np.float32)
    z = Sampling(seed=1)([tf.constant(z_mean), tf.constant(z_log_var)], epsilon=tf.constant(eps)).numpy()
    np.testing.assert_allclose(z, losses.reparameterize(z_mean, z_log_var, eps), rtol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus", "swish"])
def test_numpy_forward_pass_matches_keras(activation):
    config = ModelConfig(input_dim=3, encoder_units=(16, 8, 4), decoder_units=(5, 12), activation=activation)
    model = build_model(config, seed=3)
    weights = get_network_weights(model)
    rng = np.random.default_rng(4)
    z = rng.normal(size=(50, 2)).astype(np.float32) * 2
    x = rng.normal(size=(50, 3)).astype(np.float32)
    np.testing.assert_allclose(decode(weights, z), model.decoder(z).numpy(), atol=1e-5)
    mean, log_var = encode(weights, x)
    keras_mean, keras_log_var = model.encode(x)
    np.testing.assert_allclose(mean, keras_mean.numpy(), atol=1e-5)
    np.testing.assert_allclose(log_var, keras_log_var.numpy(), atol=1e-5)
    np.testing.assert_allclose(reconstruct(weights, x), model(x).numpy(), atol=1e-5)


def test_weights_round_trip_through_set_weights():
    model = build_model(ModelConfig(), seed=5)
    weights = get_network_weights(model)
    other = build_model(ModelConfig(), seed=6)
    set_network_weights(other, weights)
    z = latent_grid(steps=5)
    np.testing.assert_allclose(other.decoder(z).numpy(), decode(weights, z), atol=1e-6)


def test_variants_differ_only_in_loss():
    x = tf.constant(np.random.default_rng(0).normal(size=(16, 2)), tf.float32)
    terms = {
        kind: build_model(ModelConfig(kind=kind), seed=0).loss_terms(x, 1.0)
        for kind in ("ae", "denoising", "sparse", "vae")
    }
    assert float(terms["ae"]["kl"]) == 0.0 and float(terms["ae"]["penalty"]) == 0.0
    assert float(terms["sparse"]["penalty"]) > 0.0
    assert float(terms["ae"]["recon"]) == pytest.approx(float(terms["sparse"]["recon"]))
    assert float(terms["vae"]["kl"]) > 0.0
    assert float(terms["ae"]["recon"]) != pytest.approx(float(terms["denoising"]["recon"]))
