"""Learn: what autoencoders optimize, what a VAE optimizes instead, with the session's numbers."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from vae.core import exact, learn
from vae.ui import empty_state, state
from vae.ui.shell import require_app_shell
from vae.ui.text import figure_text

require_app_shell()

ROW_KEY, SEED_KEY, CHART_KEY = "learn_row", "learn_seed", "learn_points"


def gap_section(run, dataset, row: int) -> None:
    """The point's exact log p(x), analytic ELBO, IWAE and gap, or why they are not shown."""
    cfg, weights = run.model_config, run.weights
    if not cfg.is_variational:
        st.info(
            f"A {cfg.label} defines no likelihood — no prior over codes and no distribution "
            "q(z|x) — so it has no log p(x), ELBO or gap. Train a VAE to see them.",
        )
        return
    reason = exact.unavailable_reason(weights)
    x = dataset.standardized()[row]
    if reason:
        st.info(reason)
        iwae = exact.point_iwae(weights, x, cfg.decoder_std)
        st.metric(f"IWAE bound, K = {exact.IWAE_K}", f"{iwae:.4f}", help="nats; a lower bound on log p(x)")
        return
    truth = exact.point_truth(weights, x, cfg.decoder_std)
    with st.container(key="learn_gap"):
        cols = st.columns(4)
        cols[0].metric(
            "log p(x), exact",
            f"{truth.log_px:.4f}",
            help=f"nats, by quadrature on a grid; estimated error {truth.error:.1g}",
        )
        cols[1].metric(
            "ELBO",
            f"{truth.elbo:.4f}",
            help="nats; E_q[log p(x|z)] − KL with the expectation computed on a grid over q "
            "(section 3 shows a one-sample estimate of it)",
        )
        cols[2].metric(
            f"IWAE, K = {truth.iwae_k}",
            f"{truth.iwae:.4f}",
            help="nats; one draw of K samples: noisy, but on average between the ELBO and log p(x)",
        )
        cols[3].metric("Gap = KL(q ‖ p(z|x))", f"{truth.gap:.4f}", help="nats; log p(x) − ELBO")
        st.latex(learn.latex_gap(truth))
        st.markdown(f"Row {row}: {learn.gap_meaning(truth.gap)}")


run, dataset = state.get_run(), state.get_dataset()
mismatch = empty_state.model_mismatch(run, dataset)
live = run is not None and run.usable and dataset is not None and mismatch is None

st.title("Learn: the math behind a VAE")
st.caption(
    "Every loss on this page is in **nats per data point**, computed on **standardized** data "
    "(each column shifted and scaled as for training)."
)

st.header("1 · Autoencoders learn a code that reconstructs")
st.markdown(
    "An encoder $f$ maps $x$ to a code $z = f(x)$; a decoder $g$ maps it back. "
    "The three classic variants differ only in what they minimize:"
)
c1, c2, c3 = st.columns(3)
c1.markdown("**Plain**: reconstruct $x$.")
c1.latex(r"\min_{f,g}\ \lVert x - g(f(x)) \rVert^2")
c2.markdown(
    "**Denoising**: reconstruct $x$ from a corrupted copy $\\tilde x = x + \\eta$, "
    "$\\eta \\sim \\mathcal{N}(0, s^2 I)$."
)
c2.latex(r"\min_{f,g}\ \lVert x - g(f(\tilde x)) \rVert^2")
c3.markdown("**Sparse**: reconstruct with few active code units.")
c3.latex(r"\min_{f,g}\ \lVert x - g(f(x)) \rVert^2 + \lambda \lVert f(x) \rVert_1")
st.markdown(
    "None of them says anything about codes *between* the training codes: the code space "
    "can have gaps, and a code picked at random may decode to nothing data-like."
)

st.header("2 · A VAE maximizes a lower bound on log p(x)")
st.markdown(
    "The encoder outputs a *distribution* $q(z|x) = \\mathcal{N}(\\mu(x), \\operatorname{diag}"
    "\\sigma^2(x))$; the decoder defines $p(x|z) = \\mathcal{N}(\\hat x(z), \\sigma_x^2 I)$ and the "
    "prior is $p(z) = \\mathcal{N}(0, I)$. Training maximizes the **evidence lower bound**:"
)
st.latex(
    r"\log p(x) \;\ge\; \text{ELBO}(x) = \underbrace{\mathbb{E}_{q(z|x)}[\log p(x|z)]}_{\text{reconstruction}}"
    r" \;-\; \underbrace{\mathrm{KL}\big(q(z|x)\,\Vert\,p(z)\big)}_{\text{stay close to the prior}}"
)
st.markdown(
    "With a Gaussian decoder the first term is a scaled squared error plus a constant, so the "
    "app minimizes, per point,"
)
st.latex(
    r"\mathcal{L}(x) = \underbrace{\tfrac12 \textstyle\sum_d \big(\tfrac{x_d - \hat x_d}{\sigma_x}\big)^2}"
    r"_{\text{recon}} + \beta\,\underbrace{\mathrm{KL}\big(q(z|x)\,\Vert\,\mathcal{N}(0, I)\big)}_{\text{KL}}"
)
st.markdown(
    "**Reparameterization trick.** Sampling is not differentiable, so the noise is moved outside "
    "the network: the gradient flows through $\\mu$ and $\\sigma$ to the encoder."
)
st.latex(r"z = \mu + \sigma \odot \varepsilon,\qquad \varepsilon \sim \mathcal{N}(0, I)")
st.markdown("**Closed-form KL.** Between a diagonal Gaussian and $\\mathcal{N}(0, I)$ no sampling is needed:")
st.latex(r"\mathrm{KL} = -\tfrac12 \textstyle\sum_{j} \big(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\big)")

st.header("3 · Your model, one point")
if not live:
    if mismatch:
        empty_state.offer_retrain(mismatch, key="learn_retrain")
    else:
        empty_state.offer_model(
            "Train a model to see live numbers: pick a data point and watch its "
            "$\\mu$, $\\sigma$, sampled $z$, reconstruction and both loss terms plugged "
            "into the formulas above.",
            key="learn_quick_train",
        )
else:
    cfg, weights = run.model_config, run.weights
    x_std = dataset.standardized()

    def _pick_clicked_point() -> None:
        points = st.session_state[CHART_KEY].selection.points
        if points and points[0].get("curve_number", 0) == 0:
            st.session_state[ROW_KEY] = int(points[0]["point_index"])

    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"Model: **{cfg.label}** · $\\sigma_x = {cfg.decoder_std:g}$ · $\\beta = {cfg.beta:g}$")
        if not 0 <= st.session_state.get(ROW_KEY, 0) < dataset.n_rows:  # the dataset changed
            st.session_state[ROW_KEY] = 0
        row = st.number_input(
            "Data point (row)",
            0,
            dataset.n_rows - 1,
            step=1,
            key=ROW_KEY,
            help="Or click a point in the chart.",
        )
        seed = st.number_input(
            "Seed of ε",
            0,
            2**31 - 1,
            step=1,
            key=SEED_KEY,
            help="A new seed draws a new ε, so a new z and reconstruction; the KL stays.",
        )
    b = learn.point_breakdown(
        weights,
        x_std,
        int(row),
        seed=int(seed),
        decoder_std=cfg.decoder_std,
        beta=cfg.beta,
        variational=cfg.is_variational,
    )
    with right:
        fig = go.Figure(
            [
                go.Scattergl(
                    x=x_std[:, 0],
                    y=x_std[:, 1],
                    mode="markers",
                    name="data",
                    marker={"size": 4, "color": "#B8B8C8"},
                ),
                go.Scatter(
                    x=[b.x[0]],
                    y=[b.x[1]],
                    mode="markers",
                    name="x (this point)",
                    marker={"size": 13, "color": "#6C4BD8"},
                ),
                go.Scatter(
                    x=[b.x_hat[0]],
                    y=[b.x_hat[1]],
                    mode="markers",
                    name="x̂ (decoded z)",
                    marker={"size": 13, "symbol": "x", "color": "#E4572E"},
                ),
            ]
        )
        fig.update_layout(
            height=320,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            xaxis_title=f"{figure_text(dataset.columns[0])} (standardized)",
            yaxis_title=f"{figure_text(dataset.columns[1])} (standardized)",
            legend={"orientation": "h", "y": 1.12},
        )
        st.plotly_chart(
            fig,
            key=CHART_KEY,
            on_select=_pick_clicked_point,
            selection_mode="points",
            config={"displayModeBar": False},
        )

    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Reconstruction", f"{b.recon:.4f}", help="nats per point")
    m2.metric("KL", f"{b.kl:.4f}", help="nats per point")
    m3.metric("Loss = recon + β·KL", f"{b.loss:.4f}", help="nats per point")
    m4.metric("ELBO (one sample)", f"{b.elbo:.4f}", help="nats; includes the Gaussian constant")
    original = dataset.standardizer.inverse_transform(b.x_hat[None])[0]
    st.caption(
        f"Row {b.index}: x = {np.round(dataset.values[b.index], 4).tolist()} in original units, "
        f"decoded x̂ = {np.round(original, 4).tolist()}."
    )
    with st.container(key="learn_live_formulas"):
        st.latex(learn.latex_posterior(b))
        if b.variational:
            st.latex(learn.latex_reparameterization(b))
        else:
            st.markdown(f"A **{cfg.label}** has no sampling and no KL term: its code is $z = \\mu$.")
        st.latex(rf"\hat x = g(z) = {learn.vec(b.x_hat)}")
        st.latex(learn.latex_reconstruction(b))
        if b.variational:
            st.latex(learn.latex_kl(b))
            st.latex(learn.latex_loss(b))
            st.latex(learn.latex_elbo(b))

st.header("4 · The variational gap: how far the ELBO is from log p(x)")
st.markdown(
    "The ELBO is a bound; the quantity it stands in for is $\\log p(x) = \\log \\int p(x|z)\\,p(z)\\,dz$. "
    "Their difference is exactly how far the encoder's Gaussian is from the **true posterior** "
    "$p(z|x) = p(x|z)\\,p(z) / p(x)$:"
)
st.latex(r"\log p(x) = \text{ELBO}(x) + \mathrm{KL}\big(q(z|x)\,\Vert\,p(z|x)\big)")
st.markdown(
    "With a 2-D latent the integral can be computed on a grid, so the gap is a number, not a "
    "guess. The IWAE bound, an average over $K$ samples, closes in on $\\log p(x)$ as $K$ grows. "
    "A large gap means the Gaussian posterior is a poor fit: the true posterior is curved or has "
    "several modes. Explore draws it: click a point on the pad with the **true posterior** layer on."
)
if live:
    gap_section(run, dataset, b.index)

st.header("5 · Why sampling from the prior works (for a VAE)")
st.markdown(
    "The KL term pulls every $q(z|x)$ towards $\\mathcal{N}(0, I)$, so together the codes of the "
    "training data fill the prior's region without gaps. A code drawn from $\\mathcal{N}(0, I)$ "
    "lands where the decoder has been trained, and decodes to something data-like. A plain "
    "autoencoder's codes sit wherever reconstruction put them — a prior sample may land in a gap."
)
if live and run.model_config.is_variational:
    mean, var = learn.aggregate_posterior_moments(run.weights, dataset.standardized())
    st.markdown("Your model's codes, averaged over the data (a perfect match would be 0 and 1):")
    st.latex(rf"\mathbb{{E}}[z] = {learn.vec(mean, 3)},\qquad \operatorname{{Var}}[z] = {learn.vec(var, 3)}")

st.header("6 · β and posterior collapse")
st.markdown(
    "$\\beta > 1$ (a β-VAE) weighs the KL more: smoother, more prior-like codes, blurrier "
    "reconstructions. If the KL is too cheap to pay, the encoder gives up: $q(z|x) = p(z)$ for every "
    "$x$, the KL is 0, $z$ carries no information and the decoder outputs the data mean. This "
    "**posterior collapse** happens when $\\beta$ is large, or when $\\sigma_x$ is large (a loose "
    "decoder explains the data as noise). A latent dimension with average KL ≈ 0 has collapsed."
)
if live and run.model_config.is_variational:
    per_dim = learn.kl_per_dimension(run.weights, dataset.standardized())
    cols = st.columns(len(per_dim))
    for j, (col, value) in enumerate(zip(cols, per_dim, strict=True)):
        col.metric(
            f"Average KL of z{j + 1}",
            f"{value:.4f}",
            "collapsed" if value < 0.01 else "in use",
            delta_color="off",
            delta_arrow="off",
        )

st.header("7 · Three common implementation mistakes")
with st.expander("One layer for both the mean and the log-variance", expanded=True):
    st.code(
        "h = Dense(latent_dim)(h)\nz_mean, z_log_var = h, h        # wrong: one head read twice", "python"
    )
    st.markdown(
        "Then $\\log\\sigma^2 = \\mu$, so $\\sigma = e^{\\mu/2}$: a point's *position* decides its "
        "*uncertainty*. Codes far on one side are forced to be very sure, on the other very unsure. "
        "Use two separate heads (this app's encoder has `z_mean` and `z_log_var`)."
    )
    if live and run.model_config.is_variational:
        forced = learn.shared_head_sigma(b.z_mean)
        st.latex(
            rf"\text{{row {b.index}: learned }}\sigma = {learn.vec(b.sigma)}"
            rf"\quad\text{{vs. forced }} e^{{\mu/2}} = {learn.vec(forced)}"
        )
with st.expander("A KL term with the log of an identity matrix", expanded=True):
    st.code("log_det_prior = np.sum(np.log(np.eye(k)))   # wrong: elementwise log", "python")
    elementwise, total, log_det = learn.log_identity_mistake(2)
    st.markdown(
        "The general Gaussian KL needs $\\log\\det\\Sigma_p$, and $\\log\\det I = 0$. But the "
        "*elementwise* log of $I$ takes $\\log 0 = -\\infty$ off the diagonal:"
    )
    st.latex(
        rf"\log(I_2)\ \text{{elementwise}} = \begin{{pmatrix}} 0 & -\infty \\ -\infty & 0 \end{{pmatrix}},"
        rf"\quad \textstyle\sum = {learn.fmt(total)} \ne \log\det I = {learn.fmt(log_det)}"
    )
    if live and run.model_config.is_variational:
        right_kl = learn.kl_general(b.z_mean, b.z_log_var)
        wrong_kl = learn.kl_general(b.z_mean, b.z_log_var, log_identity_bug=True)
        st.latex(
            rf"\text{{row {b.index}: KL}} = {learn.fmt(right_kl)}\ \text{{(correct)}}"
            rf"\quad\text{{vs.}}\quad {learn.fmt(wrong_kl)}\ \text{{(with the bug)}}"
        )
with st.expander("Sampling z without the reparameterization", expanded=True):
    st.code("z = np.random.normal(z_mean, np.exp(0.5 * z_log_var))  # wrong: no gradient", "python")
    st.markdown(
        "A sampler that treats $\\mu$ and $\\sigma$ as plain numbers returns a $z$ with no link "
        "back to them: $\\partial z / \\partial\\mu = 0$, so the reconstruction term sends **no "
        "gradient to the encoder** — only the KL trains it, and it collapses to the prior."
    )
    if live and run.model_config.is_variational:
        good = learn.recon_gradient_wrt_mean(run.weights, b)
        bad = learn.recon_gradient_wrt_mean(run.weights, b, reparameterized=False)
        st.latex(
            rf"\text{{row {b.index}: }}\frac{{\partial\,\text{{recon}}}}{{\partial\mu}} = {learn.vec(good)}"
            rf"\ \text{{(reparameterized)}}\quad\text{{vs.}}\quad {learn.vec(bad)}\ \text{{(not)}}"
        )
