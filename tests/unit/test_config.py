import pytest

from vae.config import DataConfig, ModelConfig, TrainConfig

BAD_SETTINGS = [
    (TrainConfig, {"learning_rate": 0}, "learning_rate"),
    (TrainConfig, {"learning_rate": -0.1}, "learning_rate"),
    (TrainConfig, {"learning_rate": 1.5}, "learning_rate"),
    (TrainConfig, {"learning_rate": float("nan")}, "learning_rate"),
    (TrainConfig, {"batch_size": 0}, "batch_size"),
    (TrainConfig, {"epochs": 0}, "epochs"),
    (TrainConfig, {"epochs": 100_001}, "epochs"),
    (TrainConfig, {"epochs": 2.5}, "epochs"),
    (TrainConfig, {"optimizer": "adagrad"}, "optimizer"),
    (TrainConfig, {"validation_split": 0.9}, "validation_split"),
    (TrainConfig, {"seed": -1}, "seed"),
    (TrainConfig, {"momentum": 1.0}, "momentum"),
    (TrainConfig, {"kl_warmup_epochs": -3}, "kl_warmup_epochs"),
    (TrainConfig, {"jit_compile": "yes"}, "jit_compile"),
    (ModelConfig, {"encoder_units": ()}, "encoder_units"),
    (ModelConfig, {"encoder_units": (8,) * 7}, "encoder_units"),
    (ModelConfig, {"decoder_units": (0,)}, "decoder_units"),
    (ModelConfig, {"decoder_units": (2048,)}, "decoder_units"),
    (ModelConfig, {"activation": "gelu"}, "activation"),
    (ModelConfig, {"beta": -1.0}, "beta"),
    (ModelConfig, {"input_dim": 1}, "input_dim"),
    (ModelConfig, {"decoder_std": 0.0}, "decoder_std"),
    (ModelConfig, {"kind": "gan"}, "kind"),
    (DataConfig, {"scaling": "log"}, "scaling"),
    (DataConfig, {"n_samples": 0}, "n_samples"),
]


@pytest.mark.parametrize("cls, changes, field", BAD_SETTINGS)
def test_bad_value_names_field_value_and_rule(cls, changes, field):
    with pytest.raises(ValueError) as info:
        cls(**changes)
    message = str(info.value)
    assert field in message
    assert f"Received: {field}=" in message


def test_defaults_are_valid_and_round_trip():
    for cls in (DataConfig, ModelConfig, TrainConfig):
        config = cls()
        assert cls.from_dict(config.to_dict()) == config


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="no setting named 'lambda_code'"):
        ModelConfig.from_dict({"lambda_code": "print(1)"})


def test_layer_lists_round_trip_as_lists():
    config = ModelConfig(encoder_units=(16, 8, 4))
    as_dict = config.to_dict()
    assert as_dict["encoder_units"] == [16, 8, 4]
    assert ModelConfig.from_dict(as_dict).encoder_units == (16, 8, 4)


def test_batch_larger_than_training_rows_is_explained():
    config = TrainConfig(batch_size=128, validation_split=0.2)
    assert config.split_sizes(100) == (80, 20)
    with pytest.raises(ValueError, match="batch_size must not exceed the 80 training rows"):
        config.check_against_data(100)
    TrainConfig(batch_size=80, validation_split=0.2).check_against_data(100)


def test_labels():
    assert ModelConfig().label == "VAE"
    assert ModelConfig(beta=4.0).label == "β-VAE (β=4)"
    assert ModelConfig(kind="ae").label == "Autoencoder"


def test_the_default_budget_is_the_same_number_of_optimizer_steps_on_any_data():
    from vae.config import DEFAULT_STEPS, budget_in_words, default_epochs

    assert default_epochs(2000) == 60  # two moons keeps its quick default
    for n_rows in (150, 178, 300, 2000, 10_000):
        epochs = default_epochs(n_rows)
        steps = epochs * (n_rows // 128)
        assert DEFAULT_STEPS <= steps < DEFAULT_STEPS + n_rows // 128  # as many updates as 2,000 rows get
    assert default_epochs(150) == 900
    assert default_epochs(100, batch_size=32, validation_split=0.2) == 450  # 80 training rows: 2 steps
    assert default_epochs(10**9) == 1
    assert (
        budget_in_words(900, 150, 128) == "900 epochs on your 150 rows ≈ 900 optimizer steps of 128 rows each"
    )
