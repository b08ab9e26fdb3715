"""vae.compare_report: the wide table and its CSV, the table in plain words, a verdict per model."""

from __future__ import annotations

import dataclasses
import io
import math

import pandas as pd
import pytest

from vae import compare_report
from vae.compare import Entry, Variant
from vae.config import DataConfig, ModelConfig, TrainConfig
from vae.core.compare_metrics import Metrics


def scored(key: str, *, recon: float, energy: float, kl: float = 4.0, active: int = 2, **variant) -> Entry:
    v = Variant(key, **variant)
    entry = Entry(DataConfig(), v.model_config(ModelConfig()), TrainConfig(), status="finished", variant=v)
    entry.history = [{"epoch": 1, "loss": 1.0, "seconds": 1.5}]
    vae = v.is_variational
    entry.metrics = Metrics(
        recon_mse=recon * 4,
        recon_mse_std=recon,
        kl=kl if vae else math.nan,
        elbo=-3.0 - recon if vae else math.nan,
        iwae=-2.9 - recon if vae else math.nan,
        exact_log_px=-2.8 - recon if vae else math.nan,
        energy=energy,
        mmd=energy / 4,
        active_units=active,
    )
    return entry


@pytest.fixture
def entries() -> list[Entry]:
    # What a two-moons comparison shows: the plain AE reconstructs best and generates worst,
    # the VAE generates best, the beta-VAE trades reconstruction for a collapsed dimension.
    return [
        scored("ae", recon=0.01, energy=0.40),
        scored("vae", recon=0.05, energy=0.02),
        scored("beta_vae", recon=0.20, energy=0.05, kl=0.8, active=1),
        # not scored yet: no row, no verdict
        Entry(
            DataConfig(),
            ModelConfig(kind="sparse"),
            TrainConfig(),
            status="queued",
            variant=Variant("sparse"),
        ),
    ]


def test_metrics_frame_and_csv_round_trip(entries):
    frame = compare_report.metrics_frame(entries)
    assert list(frame.columns) == ["Model", *(m.column for m in compare_report.METRICS)]
    assert list(frame["Model"]) == ["Autoencoder", "VAE", "β-VAE (β=4)"]
    back = pd.read_csv(io.BytesIO(compare_report.to_csv_bytes(frame)))
    assert list(back.columns) == list(frame.columns)
    assert back["Energy distance"].tolist() == [0.4, 0.02, 0.05]
    assert math.isnan(back["IWAE K=64 (nats)"][0]) and back["IWAE K=64 (nats)"][1] == pytest.approx(-2.95)
    assert back["Train time (s)"].tolist() == [1.5, 1.5, 1.5]


def test_readable_table_names_each_measure_and_what_an_empty_value_means(entries):
    table = compare_report.readable_table(compare_report.metrics_frame(entries)).set_index("Measure")
    assert list(table.columns) == ["What it tells you", "Autoencoder", "VAE", "β-VAE (β=4)"]
    for metric in compare_report.METRICS:  # every measure has a plain name and a one-line meaning
        meaning = table.loc[metric.plain, "What it tells you"]
        assert meaning.endswith(".") and "\n" not in meaning and len(meaning) < 160
        if metric.better:
            assert f"{metric.better} is better" in meaning
    assert table.loc["Likelihood of real data (ELBO)", "Autoencoder"] == compare_report.NO_LIKELIHOOD
    assert table.loc["Information in the code (KL)", "Autoencoder"] == compare_report.NO_POSTERIOR
    # The best of each row with a direction is marked, and only it.
    energy = table.loc["Generated vs real (energy distance)"]
    assert energy["VAE"] == "0.02 ★ best" and "★" not in energy["Autoencoder"] + energy["β-VAE (β=4)"]
    assert table.loc["Reconstruction error", "Autoencoder"] == "0.04 ★ best"
    assert table.loc["Likelihood of real data (ELBO)", "VAE"] == "-3.05 ★ best"
    assert table.loc["Latent dimensions used", "β-VAE (β=4)"] == "1"
    assert "★" not in "".join(table.loc["Epochs trained"].iloc[1:])  # no better way: no mark
    assert not table.isin(["None", "nan", ""]).any().any()


def test_one_verdict_per_scored_model_in_plain_words(entries):
    said = compare_report.verdicts(entries)
    assert list(said) == ["Autoencoder", "VAE", "β-VAE (β=4)"]
    assert said["Autoencoder"].startswith(
        "Reconstructs best of the 3 (error 0.01) but generates the least realistic points (energy distance 0.4)"
    )
    assert "no likelihood" in said["Autoencoder"]
    assert said["VAE"] == (
        "Is second-best of the 3 at reconstruction (error 0.05) and generates the most realistic points "
        "(energy distance 0.02); of the 2 VAEs it explains held-out data best (exact log p(x) -2.85 nats)."
    )
    assert "of the 2 VAEs it explains held-out data worst (exact log p(x) -3 nats)" in said["β-VAE (β=4)"]
    assert "collapsed" not in said["VAE"]
    assert "uses 1 of 2 latent dimensions" in said["β-VAE (β=4)"] and "collapsed" in said["β-VAE (β=4)"]
    assert all(s.endswith(".") and ". " not in s for s in said.values())  # one sentence each


def test_a_single_model_is_described_without_ranks():
    said = compare_report.verdicts([scored("vae", recon=0.05, energy=0.02)])
    assert said == {
        "VAE": "The only model scored: reconstruction error 0.05 (scaled), generated points 0.02 from real "
        "ones (energy distance); train another to compare."
    }


def test_exact_likelihood_row_ranks_the_vaes_and_says_why_an_autoencoder_has_none(entries):
    table = compare_report.readable_table(compare_report.metrics_frame(entries)).set_index("Measure")
    row = table.loc["Likelihood of real data, exact (log p(x))"]
    assert row["VAE"] == "-2.85 ★ best" and row["β-VAE (β=4)"] == "-3"
    assert row["Autoencoder"] == compare_report.NO_LIKELIHOOD


def test_exact_likelihood_row_is_left_out_when_no_model_has_one(entries):
    # A latent above 2-D: the VAEs have ELBO and IWAE but no exact value; no row saying "no likelihood".
    for entry in entries:
        if entry.metrics is not None:
            entry.metrics = dataclasses.replace(entry.metrics, exact_log_px=math.nan)
    table = compare_report.readable_table(compare_report.metrics_frame(entries))
    assert "Likelihood of real data, exact (log p(x))" not in set(table["Measure"])
    assert "Likelihood of real data, tighter (IWAE, 64 samples)" in set(table["Measure"])
    assert not any("VAEs it explains" in s for s in compare_report.verdicts(entries).values())
