// Latent Lab's latent pad: a draggable point on the 2-D latent plane, decoded
// in the browser from the decoder's weights (no round trip per move).
//
// Streamlit may call this function again whenever `data` changes (new weights
// while training, prior samples, mode). Everything that must survive lives on
// the root DOM node (`root.__llPad`); listeners are attached once.
//
// Data from Python (see vae/ui/latent_pad/__init__.py for the schema): weights,
// standardizer, encoded means, a subset of the data, palette, mode, the hint
// for that mode and the layer toggles (vae/ui/latent_pad/layers.py). State back
// to Python: "z" on release, "selected" (row index), "path" ([a, b]) and
// "layers" ({key: shown}) when a toggle is clicked.
//
// Nothing is drawn while a panel is smaller than MIN_DRAWN: Streamlit shrinks the
// pad to nothing as the page is left, and drawing then meant negative radii.

const TRAIL = 28; // decoded positions kept in the trail
const MESH_LINES = 13; // grid lines per direction of the manifold mesh
const MESH_SAMPLES = 41; // points along each grid line
const MESH_LIMIT = 3; // the mesh covers the prior's 3-sigma square
const TIMINGS_KEPT = 500;
const HIT_RADIUS = 7; // px: how close a click must be to select a dot
const MIN_DRAWN = 80; // px: below this a panel is hidden or leaving the page; drawing it would be
// drawing with negative radii (Chromium throws "The radius provided is negative")
const RING_MASS = { 1: "39%", 2: "86%", 3: "99%" }; // prior mass inside the k-sigma circle (chi2, 2 dof)

// ---------------------------------------------------------------- decoding --
const ACTIVATIONS = {
  relu: (x) => (x > 0 ? x : 0),
  leaky_relu: (x) => (x >= 0 ? x : 0.2 * x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  tanh: Math.tanh,
  sigmoid: (x) => 0.5 * (1 + Math.tanh(0.5 * x)),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  swish: (x) => x * 0.5 * (1 + Math.tanh(0.5 * x)),
};

function compileDecoder(dec) {
  // Flatten each Dense layer: W is (in, out) row-major, as Keras stores it.
  const layers = dec.layers.map((l) => ({
    n_in: l.W.length,
    n_out: l.b.length,
    W: Float64Array.from(l.W.flat()),
    b: Float64Array.from(l.b),
  }));
  const act = ACTIVATIONS[dec.activation];
  if (!act) throw new Error(`unknown activation ${dec.activation}`);
  const buffers = layers.map((l) => new Float64Array(l.n_out));
  return function decode(z) {
    let h = z;
    for (let k = 0; k < layers.length; k++) {
      const { n_in, n_out, W, b } = layers[k];
      const out = buffers[k];
      const last = k === layers.length - 1;
      for (let j = 0; j < n_out; j++) out[j] = b[j];
      for (let i = 0; i < n_in; i++) {
        const hi = h[i];
        if (hi === 0) continue;
        const row = i * n_out;
        for (let j = 0; j < n_out; j++) out[j] += hi * W[row + j];
      }
      if (!last) for (let j = 0; j < n_out; j++) out[j] = act(out[j]);
      h = out;
    }
    return h; // standardized units; reused buffer, copy before keeping
  };
}

function toOriginal(S, xStd) {
  const x = new Array(xStd.length);
  for (let j = 0; j < xStd.length; j++) x[j] = xStd[j] * S.data.scale[j] + S.data.offset[j];
  return x;
}

// ----------------------------------------------------------------- helpers --
function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v && v !== "unset" ? v : fallback;
}

function theme(el) {
  return {
    text: cssVar(el, "--st-text-color", "#31333f"),
    bg: cssVar(el, "--st-background-color", "#ffffff"),
    primary: cssVar(el, "--st-primary-color", "#6c4bd8"),
  };
}

function fit(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w, h };
}

function niceStep(span, target) {
  const raw = span / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

function fmt(v) {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(2);
}

// Axis ticks as the app's other charts write them: 0.5, 1, 1.5 (not 0.50, 1, 1.50), and 1200
// for a column in the thousands (wine's proline), not 1.20e+3.
function tickLabel(v) {
  const size = Math.abs(v);
  if (size < 1e-9) return "0";
  if (size >= 1e5 || size < 1e-3) return v.toExponential(1);
  return String(Number(v.toFixed(6)));
}

// A density as the readout under the pad writes it (3 significant digits: 0.159, not 1.59e-1).
function densityLabel(p) {
  return p >= 1e-4 ? String(Number(p.toPrecision(3))) : p.toExponential(2);
}

function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

function alpha(color, a) {
  // "#rrggbb" -> rgba(); other CSS colours are returned unchanged.
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

// A layer is drawn unless the user switched its toggle off (layers a pad does not offer are
// drawn whenever their data are there). Layers are declared in vae/ui/latent_pad/layers.py.
function shown(S, key) {
  return S.layers[key] !== false;
}

function haloText(ctx, text, x, y, T) {
  // Text with a background-coloured outline: readable over data, grid and rings on both themes.
  ctx.save();
  ctx.lineJoin = "round";
  ctx.lineWidth = 3;
  ctx.strokeStyle = T.bg;
  ctx.strokeText(text, x, y);
  ctx.restore();
  ctx.fillText(text, x, y);
}

function dot(ctx, x, y, r, fill, stroke, lw = 1.5) {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (fill) { ctx.fillStyle = fill; ctx.fill(); }
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.stroke(); }
}

// ------------------------------------------------------------- coordinates --
const MARGIN = { l: 40, r: 12, t: 12, b: 34 };

function padFrame(S) {
  const { w, h } = S.padSize;
  const L = S.data.limit;
  const pw = w - MARGIN.l - MARGIN.r, ph = h - MARGIN.t - MARGIN.b;
  return {
    toPx: (z1, z2) => [MARGIN.l + ((z1 + L) / (2 * L)) * pw, MARGIN.t + ((L - z2) / (2 * L)) * ph],
    toZ: (px, py) => [((px - MARGIN.l) / pw) * 2 * L - L, L - ((py - MARGIN.t) / ph) * 2 * L],
    pw, ph, L,
  };
}

function viewFrame(S) {
  const { w, h } = S.viewSize;
  const [x0, x1, y0, y1] = S.data.view_box;
  const pw = w - MARGIN.l - MARGIN.r, ph = h - MARGIN.t - MARGIN.b;
  return {
    toPx: (a, b) => [MARGIN.l + ((a - x0) / (x1 - x0)) * pw, MARGIN.t + ((y1 - b) / (y1 - y0)) * ph],
    inside: (px, py) => px >= MARGIN.l && px <= MARGIN.l + pw && py >= MARGIN.t && py <= MARGIN.t + ph,
    clampPx: (px, py) => [clamp(px, MARGIN.l, MARGIN.l + pw), clamp(py, MARGIN.t, MARGIN.t + ph)],
    x0, x1, y0, y1, pw, ph,
  };
}

function axes(ctx, frame, lo1, hi1, lo2, hi2, label1, label2, T) {
  ctx.save();
  ctx.font = "11px sans-serif";
  ctx.fillStyle = alpha(T.text, 0.75);
  ctx.strokeStyle = alpha(T.text, 0.12);
  ctx.lineWidth = 1;
  const s1 = niceStep(hi1 - lo1, 6), s2 = niceStep(hi2 - lo2, 6);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let v = Math.ceil(lo1 / s1) * s1; v <= hi1 + 1e-9; v += s1) {
    const [px] = frame.toPx(v, lo2);
    ctx.beginPath(); ctx.moveTo(px, MARGIN.t); ctx.lineTo(px, MARGIN.t + frame.ph); ctx.stroke();
    ctx.fillText(tickLabel(v), px, MARGIN.t + frame.ph + 4);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = Math.ceil(lo2 / s2) * s2; v <= hi2 + 1e-9; v += s2) {
    const [, py] = frame.toPx(lo1, v);
    ctx.beginPath(); ctx.moveTo(MARGIN.l, py); ctx.lineTo(MARGIN.l + frame.pw, py); ctx.stroke();
    ctx.fillText(tickLabel(v), MARGIN.l - 5, py);
  }
  ctx.fillStyle = T.text;
  ctx.font = "12px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(label1, MARGIN.l + frame.pw / 2, S_H(frame) - 1);
  ctx.save();
  ctx.translate(11, MARGIN.t + frame.ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(label2, 0, 0);
  ctx.restore();
  ctx.restore();
}

function S_H(frame) {
  return MARGIN.t + frame.ph + MARGIN.b;
}

// ------------------------------------------------------------ latent panel --
function drawPadBackground(S) {
  const { ctx, w, h } = fit(S.pad.bg);
  S.padSize = { w, h };
  const T = S.theme, P = S.data.palette, F = padFrame(S), L = F.L;
  ctx.clearRect(0, 0, w, h);
  axes(ctx, F, -L, L, -L, L, "z₁", "z₂", T);
  // The prior N(0, I): shaded discs and 1-2-3 sigma circles with their mass.
  const [cx, cy] = F.toPx(0, 0);
  const unit = F.pw / (2 * L);
  if (shown(S, "rings")) {
    for (const k of [3, 2, 1]) dot(ctx, cx, cy, k * unit, alpha(T.primary, 0.07), null);
    ctx.save();
    ctx.setLineDash([5, 4]);
    for (const k of [1, 2, 3]) dot(ctx, cx, cy, k * unit, null, alpha(T.primary, 0.75), 1.2);
    ctx.restore();
  }
  // Encoded means of the data, coloured by label.
  const means = S.data.means || [];
  const labels = S.data.labels;
  const dataPx = [];
  for (let i = 0; i < means.length; i++) {
    const [px, py] = F.toPx(clamp(means[i][0], -L, L), clamp(means[i][1], -L, L));
    dataPx.push([px, py]);
    if (!shown(S, "data")) continue;
    ctx.fillStyle = alpha(labels ? S.data.colors[labels[i]] : P.data, 0.6);
    ctx.fillRect(px - 2, py - 2, 4, 4);
  }
  S.dataPx = shown(S, "data") ? dataPx : []; // labels on the pad keep clear of these
  if (shown(S, "rings")) ringLabels(S, ctx, F, cx, cy, unit, S.dataPx);
  // Prior samples' z.
  const samples = S.data.samples;
  if (samples && shown(S, "samples")) {
    ctx.strokeStyle = P.prior_samples;
    ctx.lineWidth = 1.5;
    for (const z of samples.z) {
      const [px, py] = F.toPx(clamp(z[0], -L, L), clamp(z[1], -L, L));
      ctx.beginPath();
      ctx.moveTo(px - 3, py - 3); ctx.lineTo(px + 3, py + 3);
      ctx.moveTo(px - 3, py + 3); ctx.lineTo(px + 3, py - 3);
      ctx.stroke();
    }
  }
}

const LIVE_NUMBERS_BOX = [MARGIN.l, MARGIN.t, MARGIN.l + 170, MARGIN.t + 36]; // z = ... and p(z) = ...

function padPlot(F) {
  // The pad's plot area, for placeLabel (vae/ui/label_place.js).
  return { left: MARGIN.l, top: MARGIN.t, width: F.pw, height: F.ph };
}

function ringLabels(S, ctx, F, cx, cy, unit, dataPx) {
  // Each ring's label goes where it covers the fewest data points.
  const T = S.theme;
  ctx.save();
  ctx.font = "11px sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  ctx.fillStyle = alpha(T.text, 0.85); // the primary purple is too dark to read on the dark theme
  const taken = [LIVE_NUMBERS_BOX];
  for (const k of [1, 2, 3]) {
    const text = `${k}σ · ${RING_MASS[k]}`;
    const best = placeLabel(padPlot(F), ctx.measureText(text).width, 12, cx, cy, k * unit, dataPx, taken);
    if (!best) continue; // the ring is off the pad
    taken.push(best.box);
    haloText(ctx, text, best.x, best.y, T);
  }
  ctx.restore();
}

function truthImage(truth) {
  // The true posterior as an n x n image: the layer's colour, opacity rising with the density
  // (power 0.4, so a second mode 10x fainter than the first still shows). Image row 0 is the
  // highest z2 (the grid's row 0 is the lowest).
  const n = truth.steps;
  const image = document.createElement("canvas");
  image.width = n;
  image.height = n;
  const ictx = image.getContext("2d");
  const pixels = ictx.createImageData(n, n);
  const rgb = parseInt(truth.color.slice(1), 16);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const k = ((n - 1 - i) * n + j) * 4;
      pixels.data[k] = (rgb >> 16) & 255;
      pixels.data[k + 1] = (rgb >> 8) & 255;
      pixels.data[k + 2] = rgb & 255;
      pixels.data[k + 3] = Math.round(Math.min(1, 1.3 * Math.pow(Math.max(0, truth.density[i * n + j]), 0.4)) * 235);
    }
  }
  ictx.putImageData(pixels, 0, 0);
  return image;
}

function drawTruePosterior(S, ctx, F) {
  // The clicked point's true posterior p(z|x) (computed in Python, vae/exact.py), under q's
  // ellipses: where the heat map leaves the ellipses, the Gaussian q misses the truth.
  const truth = S.data.true_posterior;
  if (!truth || S.selected === null || S.data.rows[S.selected] !== truth.row) return;
  if (!S.truth || S.truth.source !== truth) S.truth = { source: truth, image: truthImage(truth) };
  const n = truth.steps;
  const half1 = (truth.z1[1] - truth.z1[0]) / (n - 1) / 2, half2 = (truth.z2[1] - truth.z2[0]) / (n - 1) / 2;
  const [left, top] = F.toPx(truth.z1[0] - half1, truth.z2[1] + half2);
  const [right, bottom] = F.toPx(truth.z1[1] + half1, truth.z2[0] - half2);
  ctx.save();
  ctx.beginPath();
  ctx.rect(MARGIN.l, MARGIN.t, F.pw, F.ph);
  ctx.clip();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(S.truth.image, left, top, Math.max(right - left, 1), Math.max(bottom - top, 1));
  ctx.restore();
}

function drawPosterior(S, ctx, F, unit) {
  // The clicked point's posterior q(z|x): 1- and 2-sigma ellipses, a halo in the background
  // colour under a solid outline so it reads over data and rings on both themes, and a label
  // (a posterior is often a few pixels across: the label and the ring say where it is).
  const T = S.theme, P = S.data.palette, sel = S.selected;
  const mu = S.data.means[sel], lv = S.data.logvars[sel];
  const sd = [Math.exp(0.5 * lv[0]), Math.exp(0.5 * lv[1])];
  const [px, py] = F.toPx(mu[0], mu[1]);
  ctx.save();
  for (const k of [2, 1]) {
    const rx = Math.max(k * sd[0] * unit, 0.5), ry = Math.max(k * sd[1] * unit, 0.5);
    ctx.beginPath();
    ctx.ellipse(px, py, rx, ry, 0, 0, 2 * Math.PI);
    ctx.fillStyle = alpha(P.reconstruction, k === 1 ? 0.35 : 0.15);
    ctx.fill();
    ctx.setLineDash([]);
    ctx.strokeStyle = T.bg;
    ctx.lineWidth = 5;
    ctx.stroke();
    ctx.setLineDash(k === 2 ? [5, 3] : []);
    ctx.strokeStyle = P.reconstruction;
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }
  ctx.restore();
  dot(ctx, px, py, 4, P.reconstruction, T.bg, 1.5);
  if (Math.min(sd[0], sd[1]) * unit < 8) dot(ctx, px, py, 14, null, P.reconstruction, 2);
  ctx.save();
  ctx.font = "bold 11px sans-serif";
  ctx.fillStyle = P.reconstruction;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const text = `q(z|x) · σ = ${sd[0].toFixed(2)}, ${sd[1].toFixed(2)}`;
  const radius = Math.max(2 * Math.max(sd[0], sd[1]) * unit, 14) + 2;
  const spot = placeLabel(padPlot(F), ctx.measureText(text).width, 12, px, py, radius, S.dataPx, [LIVE_NUMBERS_BOX]);
  if (spot) haloText(ctx, text, spot.x, spot.y, T);
  ctx.restore();
}

function drawPadForeground(S) {
  const { ctx, w, h } = fit(S.pad.fg);
  ctx.clearRect(0, 0, w, h);
  const T = S.theme, P = S.data.palette, F = padFrame(S), L = F.L;
  const unit = F.pw / (2 * L);
  // Selected point's posterior q(z|x).
  const sel = S.selected;
  if (sel !== null && S.data.logvars) {
    if (shown(S, "true_posterior")) drawTruePosterior(S, ctx, F);
    if (shown(S, "posterior")) drawPosterior(S, ctx, F, unit);
  } else if (sel !== null) {
    const [px, py] = F.toPx(S.data.means[sel][0], S.data.means[sel][1]);
    dot(ctx, px, py, 6, null, P.reconstruction, 2.5);
  }
  // Interpolation segment.
  if (S.data.mode === "interpolate" && S.path.length) {
    ctx.save();
    ctx.strokeStyle = P.path;
    ctx.lineWidth = 2.5;
    const pts = S.path.map((z) => F.toPx(z[0], z[1]));
    if (pts.length === 2) {
      ctx.beginPath(); ctx.moveTo(...pts[0]); ctx.lineTo(...pts[1]); ctx.stroke();
    }
    ctx.font = "bold 12px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    pts.forEach((p, i) => {
      dot(ctx, p[0], p[1], 9, P.path, T.bg, 2);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(i === 0 ? "A" : "B", p[0], p[1] + 0.5);
    });
    ctx.restore();
  }
  // Trail and the point itself.
  if (shown(S, "trail")) drawTrail(ctx, S.trail.map((t) => F.toPx(t.z[0], t.z[1])), P.point);
  const [px, py] = F.toPx(S.z[0], S.z[1]);
  ctx.save();
  ctx.strokeStyle = alpha(P.point, 0.45);
  ctx.lineWidth = 1;
  ctx.setLineDash([3, 3]);
  ctx.beginPath(); ctx.moveTo(px, MARGIN.t); ctx.lineTo(px, MARGIN.t + F.ph);
  ctx.moveTo(MARGIN.l, py); ctx.lineTo(MARGIN.l + F.pw, py); ctx.stroke();
  ctx.restore();
  if (S.focused) dot(ctx, px, py, 15, null, T.primary, 3);
  dot(ctx, px, py, S.dragging ? 11 : 9, P.point, "#ffffff", 2.5);
  // Live numbers.
  ctx.font = "12px monospace";
  ctx.fillStyle = T.text;
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(`z = (${S.z[0].toFixed(3)}, ${S.z[1].toFixed(3)})`, MARGIN.l + 6, MARGIN.t + 4);
  const pz = Math.exp(-0.5 * (S.z[0] ** 2 + S.z[1] ** 2)) / (2 * Math.PI);
  ctx.fillText(`p(z) = ${densityLabel(pz)}`, MARGIN.l + 6, MARGIN.t + 20);
  S.pad.fg.setAttribute("aria-valuetext", `z1 ${S.z[0].toFixed(2)}, z2 ${S.z[1].toFixed(2)}`);
}

// -------------------------------------------------------------- data panel --
function columnName(S, j) {
  return S.data.columns[j] ?? `x${j + 1}`;
}

function drawViewBackground(S) {
  const { ctx, w, h } = fit(S.view.bg);
  S.viewSize = { w, h };
  ctx.clearRect(0, 0, w, h);
  if (S.data.kind !== "scatter") return; // images and bars are drawn per frame
  const T = S.theme, P = S.data.palette, V = viewFrame(S);
  axes(ctx, V, V.x0, V.x1, V.y0, V.y1, columnName(S, 0), columnName(S, 1), T);
  ctx.save();
  ctx.beginPath();
  ctx.rect(MARGIN.l, MARGIN.t, V.pw, V.ph);
  ctx.clip();
  // The data.
  const xs = (shown(S, "data") && S.data.x) || [], labels = S.data.labels;
  for (let i = 0; i < xs.length; i++) {
    const [px, py] = V.toPx(xs[i][0], xs[i][1]);
    ctx.fillStyle = alpha(labels ? S.data.colors[labels[i]] : P.data, 0.45);
    ctx.fillRect(px - 2, py - 2, 4, 4);
  }
  // The learned manifold: the decoder's image of a latent grid, as a warped mesh.
  ctx.lineWidth = 1;
  for (let dir = 0; dir < (shown(S, "manifold") ? 2 : 0); dir++) {
    for (let a = 0; a < MESH_LINES; a++) {
      const u = -MESH_LIMIT + (2 * MESH_LIMIT * a) / (MESH_LINES - 1);
      const centre = a === (MESH_LINES - 1) / 2;
      ctx.strokeStyle = alpha(T.text, centre ? 0.7 : 0.3);
      ctx.lineWidth = centre ? 1.6 : 1;
      ctx.beginPath();
      for (let s = 0; s < MESH_SAMPLES; s++) {
        const v = -MESH_LIMIT + (2 * MESH_LIMIT * s) / (MESH_SAMPLES - 1);
        const x = toOriginal(S, S.decode(dir === 0 ? [u, v] : [v, u]));
        const [px, py] = V.toPx(x[0], x[1]);
        if (s === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
      }
      ctx.stroke();
    }
  }
  // Prior samples, decoded.
  if (S.data.samples && shown(S, "samples")) {
    for (const x of S.data.samples.x) {
      const [px, py] = V.toPx(x[0], x[1]);
      dot(ctx, px, py, 3, P.prior_samples, T.bg, 0.8);
    }
  }
  ctx.restore();
}

function drawTrail(ctx, pts, color) {
  // Older segments fade out.
  ctx.save();
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  for (let i = 1; i < pts.length; i++) {
    ctx.strokeStyle = alpha(color, (0.7 * i) / pts.length);
    ctx.beginPath(); ctx.moveTo(...pts[i - 1]); ctx.lineTo(...pts[i]); ctx.stroke();
  }
  ctx.restore();
}

function marker(ctx, V, x, y, r, fill, T) {
  // A point outside the view is pinned to the frame and drawn hollow.
  let [px, py] = V.toPx(x, y);
  if (V.inside(px, py)) {
    dot(ctx, px, py, r, fill, "#ffffff", 2);
  } else {
    [px, py] = V.clampPx(px, py);
    dot(ctx, px, py, r, T.bg, fill, 3);
  }
  return [px, py];
}

function drawScatterForeground(S, ctx, x) {
  const T = S.theme, P = S.data.palette, V = viewFrame(S);
  // Interpolation path.
  if (S.data.mode === "interpolate" && S.path.length === 2) {
    const pts = pathPoints(S).map((xp) => V.toPx(xp[0], xp[1]));
    ctx.strokeStyle = P.path;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(...p) : ctx.moveTo(...p)));
    ctx.stroke();
    pts.forEach((p) => dot(ctx, p[0], p[1], 3, P.path, null));
  }
  // Selected data point and its reconstruction.
  if (S.selected !== null && S.data.x && shown(S, "posterior")) {
    const xi = S.data.x[S.selected];
    const rec = toOriginal(S, S.decode(S.data.means[S.selected]));
    const [ax, ay] = V.toPx(xi[0], xi[1]);
    const [bx, by] = V.toPx(rec[0], rec[1]);
    ctx.save();
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = T.text;
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
    ctx.restore();
    dot(ctx, ax, ay, 6, null, T.text, 2);
    marker(ctx, V, rec[0], rec[1], 5, P.reconstruction, T);
  }
  // Trail of the decoded point.
  if (shown(S, "trail")) drawTrail(ctx, S.trail.map((t) => V.toPx(t.x[0], t.x[1])), P.point);
  marker(ctx, V, x[0], x[1], S.dragging ? 9 : 7, P.point, T);
  ctx.font = "12px monospace";
  ctx.fillStyle = T.text;
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(`x = (${fmt(x[0])}, ${fmt(x[1])})`, MARGIN.l + 6, MARGIN.t + 4);
}

function drawImage(S, ctx, x, left, top, size, caption) {
  const [rows, cols] = S.data.image_shape;
  const lo = S.data.x_min, hi = S.data.x_max;
  const cell = size / cols;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const j = r * cols + c;
      const t = clamp((x[j] - lo[j]) / (hi[j] - lo[j] || 1), 0, 1);
      const g = Math.round(255 * (1 - t)); // dark ink on light paper, like the digits
      ctx.fillStyle = `rgb(${g},${g},${g})`;
      ctx.fillRect(left + c * cell, top + r * cell, Math.ceil(cell), Math.ceil(cell));
    }
  }
  if (caption) {
    ctx.fillStyle = S.theme.text;
    ctx.font = "11px sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(caption, left + size / 2, top + size + 3);
  }
}

function drawImageForeground(S, ctx, x) {
  const { w, h } = S.viewSize;
  const big = Math.min(w, h) * 0.58;
  const left = (w - big) / 2, top = 14;
  ctx.strokeStyle = S.data.palette.point;
  ctx.lineWidth = 3;
  ctx.strokeRect(left - 2, top - 2, big + 4, big + 4);
  drawImage(S, ctx, x, left, top, big, "decoder(z)");
  const small = Math.min(w / 10, (h - big - 40) * 0.6);
  let row = [];
  if (S.data.mode === "interpolate" && S.path.length === 2) {
    row = pathPoints(S, 8).map((xp, i) => [xp, i === 0 ? "A" : i === 7 ? "B" : ""]);
  } else if (S.selected !== null && S.data.x && shown(S, "posterior")) {
    const rec = toOriginal(S, S.decode(S.data.means[S.selected]));
    row = [[S.data.x[S.selected], "data x"], [rec, "reconstruction"]];
  } else if (S.data.samples && shown(S, "samples")) {
    row = S.data.samples.x.slice(0, 8).map((xs, i) => [xs, i === 0 ? "prior samples" : ""]);
  }
  const gap = small * 0.25;
  const total = row.length * small + (row.length - 1) * gap;
  row.forEach(([xs, cap], i) => {
    drawImage(S, ctx, xs, (w - total) / 2 + i * (small + gap), top + big + 26, small, cap);
  });
}

// Long names wrap at "_", " ", "/", "-" (then anywhere) onto at most `maxLines` lines.
function wrapName(ctx, name, maxW, maxLines) {
  const parts = name.match(/[^_\s/-]+[_\s/-]*/g) || [name];
  const lines = [];
  let line = "";
  for (const part of parts) {
    if (ctx.measureText(line + part).width <= maxW || !line) line += part;
    else { lines.push(line); line = part; }
  }
  lines.push(line);
  const out = lines.slice(0, maxLines);
  for (let i = 0; i < out.length; i++) {
    const last = i === out.length - 1 && (lines.length > maxLines);
    let text = out[i].trim();
    if (!last && ctx.measureText(text).width <= maxW) { out[i] = text; continue; }
    while (text.length > 1 && ctx.measureText(text + "…").width > maxW) text = text.slice(0, -1);
    out[i] = text + (last || text !== out[i].trim() ? "…" : "");
  }
  return out;
}

// Row geometry of the bar view, shared by drawing and the tooltip.
function barRows(S) {
  const { w, h } = S.viewSize;
  const D = S.data.columns.length, shown = Math.min(D, 24);
  const rowH = Math.min(34, (h - 24) / shown);
  return { w, h, D, shown, rowH, top: 10 };
}

function drawBarsForeground(S, ctx, x) {
  const T = S.theme, P = S.data.palette;
  const { w, h, D, shown, rowH, top } = barRows(S);
  const fontPx = Math.min(12, rowH * 0.45);
  const lines = rowH >= 2.4 * fontPx ? 2 : 1;
  ctx.font = `${fontPx}px sans-serif`;
  // The name column is as wide as the longest name needs, up to 40% of the panel.
  let widest = 0;
  for (let j = 0; j < shown; j++) widest = Math.max(widest, ctx.measureText(columnName(S, j)).width);
  const nameW = Math.min(Math.max(widest / lines + 12, 60), w * 0.4), valW = 70;
  const bandL = nameW + 8, bandW = w - bandL - valW - 8;
  ctx.textBaseline = "middle";
  for (let j = 0; j < shown; j++) {
    const y = top + j * rowH + rowH / 2;
    const lo = S.data.x_min[j], hi = S.data.x_max[j], span = hi - lo || 1;
    ctx.fillStyle = T.text;
    ctx.textAlign = "right";
    ctx.font = `${fontPx}px sans-serif`;
    const wrapped = wrapName(ctx, columnName(S, j), nameW, lines);
    wrapped.forEach((line, k) => ctx.fillText(line, nameW, y + (k - (wrapped.length - 1) / 2) * fontPx * 1.1));
    ctx.fillStyle = alpha(P.data, 0.18); // the data's range, min to max
    ctx.fillRect(bandL, y - rowH * 0.3, bandW, rowH * 0.6);
    const t = (x[j] - lo) / span;
    const px = bandL + clamp(t, 0, 1) * bandW;
    const zero = bandL + clamp((S.data.x_mean[j] - lo) / span, 0, 1) * bandW;
    ctx.fillStyle = P.point;
    ctx.fillRect(Math.min(zero, px), y - rowH * 0.22, Math.abs(px - zero) || 1.5, rowH * 0.44);
    ctx.fillStyle = T.text;
    ctx.fillRect(zero - 0.5, y - rowH * 0.35, 1, rowH * 0.7); // the column's mean
    if (rowH >= 16) { // the range's ends, in the band's corners
      ctx.font = `${Math.min(10, rowH * 0.32)}px sans-serif`;
      ctx.fillStyle = alpha(T.text, 0.65);
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      ctx.fillText(fmt(lo), bandL + 2, y + rowH * 0.3 - Math.min(10, rowH * 0.32) - 1);
      ctx.textAlign = "right";
      ctx.fillText(fmt(hi), bandL + bandW - 2, y + rowH * 0.3 - Math.min(10, rowH * 0.32) - 1);
      ctx.textBaseline = "middle";
      ctx.font = `${fontPx}px sans-serif`;
    }
    ctx.fillStyle = T.text;
    ctx.textAlign = "left";
    ctx.fillText(fmt(x[j]) + (t < 0 || t > 1 ? " !" : ""), w - valW, y);
  }
  if (D > shown) {
    ctx.textAlign = "left";
    ctx.fillStyle = alpha(T.text, 0.7);
    ctx.fillText(`first ${shown} of ${D} columns`, bandL, h - 8);
  }
}

// The bar view's tooltip: the full column name, the decoded value and the data's range.
function barTooltip(S, py) {
  if (S.data.kind !== "bars" || !S.viewSize || !S.lastX) return "";
  const { shown, rowH, top } = barRows(S);
  const j = Math.floor((py - top) / rowH);
  if (j < 0 || j >= shown) return "";
  const lo = S.data.x_min[j], hi = S.data.x_max[j];
  return `${columnName(S, j)}: decoded ${fmt(S.lastX[j])}; data from ${fmt(lo)} to ${fmt(hi)}, mean ${fmt(S.data.x_mean[j])}`;
}

function pathPoints(S, steps = 24) {
  const [a, b] = S.path;
  const out = [];
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    out.push(toOriginal(S, S.decode([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])));
  }
  return out;
}

function drawViewForeground(S, x) {
  const { ctx, w, h } = fit(S.view.fg);
  ctx.clearRect(0, 0, w, h);
  S.lastX = x;
  if (S.data.kind === "scatter") drawScatterForeground(S, ctx, x);
  else if (S.data.kind === "image") drawImageForeground(S, ctx, x);
  else drawBarsForeground(S, ctx, x);
}

// ------------------------------------------------------------------ frames --
function drawable(S) {
  const pad = S.pad.fg, view = S.view.fg;
  return (
    S.root.isConnected &&
    pad.clientWidth >= MIN_DRAWN && pad.clientHeight >= MIN_DRAWN &&
    (!S.data.show_view || (view.clientWidth >= MIN_DRAWN && view.clientHeight >= MIN_DRAWN))
  );
}

function frame(S) {
  S.raf = 0;
  if (!drawable(S)) return; // hidden or leaving the page: the resize observer redraws on return
  const t0 = performance.now();
  const x = toOriginal(S, S.decode(S.z));
  if (S.moved) {
    S.trail.push({ z: S.z.slice(), x });
    if (S.trail.length > TRAIL) S.trail.shift();
    S.moved = false;
  }
  drawPadForeground(S);
  if (S.data.show_view) drawViewForeground(S, x);
  const ms = performance.now() - t0;
  S.lastX = x;
  const timings = (window.__latentPadTimings = window.__latentPadTimings || []);
  timings.push(ms);
  if (timings.length > TIMINGS_KEPT) timings.splice(0, timings.length - TIMINGS_KEPT);
  S.root.dataset.frameMs = ms.toFixed(3);
  S.root.dataset.z = JSON.stringify(S.z);
  window.__latentPadLast = { z: S.z.slice(), x: x.slice(), key: S.data.key };
}

function requestFrame(S) {
  if (!S.raf) S.raf = requestAnimationFrame(() => frame(S));
}

function redrawAll(S) {
  if (!drawable(S)) return;
  S.theme = theme(S.root);
  drawPadBackground(S);
  if (S.data.show_view) drawViewBackground(S);
  frame(S);
}

function setZ(S, z) {
  const L = S.data.limit;
  // The view clamps: the point stays on the pad, and what Python gets is what is shown.
  S.z = [clamp(Number.isFinite(z[0]) ? z[0] : 0, -L, L), clamp(Number.isFinite(z[1]) ? z[1] : 0, -L, L)];
  S.moved = true;
  requestFrame(S);
}

function send(S) {
  S.setStateValue("z", [S.z[0], S.z[1]]);
}

// ------------------------------------------------------------------- input --
function eventPx(canvas, e) {
  const r = canvas.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}

function nearestMean(S, px, py) {
  const F = padFrame(S), means = S.data.means || [];
  let best = null, bestD = HIT_RADIUS * HIT_RADIUS;
  for (let i = 0; i < means.length; i++) {
    const [mx, my] = F.toPx(means[i][0], means[i][1]);
    const d = (mx - px) ** 2 + (my - py) ** 2;
    if (d < bestD) { bestD = d; best = i; }
  }
  return best;
}

function select(S, index) {
  S.selected = index;
  S.setStateValue("selected", index === null ? null : S.data.rows[index]);
  requestFrame(S);
}

function attachInput(S) {
  const c = S.pad.fg;
  c.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    c.focus({ preventScroll: true });
    c.setPointerCapture(e.pointerId);
    const [px, py] = eventPx(c, e);
    const F = padFrame(S);
    const [ppx, ppy] = F.toPx(S.z[0], S.z[1]);
    const onPoint = (ppx - px) ** 2 + (ppy - py) ** 2 <= 16 * 16;
    S.press = { x: px, y: py, onPoint, dragging: onPoint };
    if (onPoint) {
      S.dragging = true;
      c.classList.add("ll-dragging");
      requestFrame(S);
    }
    e.preventDefault();
  });
  c.addEventListener("pointermove", (e) => {
    if (!S.press) return;
    const [px, py] = eventPx(c, e);
    if (!S.press.dragging && (px - S.press.x) ** 2 + (py - S.press.y) ** 2 > 9) {
      S.press.dragging = S.dragging = true;
      c.classList.add("ll-dragging");
    }
    if (S.press.dragging) setZ(S, padFrame(S).toZ(px, py));
  });
  const release = (e) => {
    if (!S.press) return;
    const [px, py] = eventPx(c, e);
    const press = S.press;
    S.press = null;
    S.dragging = false;
    c.classList.remove("ll-dragging");
    if (press.dragging) {
      setZ(S, padFrame(S).toZ(px, py));
      send(S);
      return;
    }
    const z = padFrame(S).toZ(px, py);
    if (S.data.mode === "interpolate") {
      // Clicks set A, then B, then start over.
      S.path = S.path.length >= 2 ? [z] : [...S.path, z];
      if (S.path.length === 2) S.setStateValue("path", S.path.map((p) => [p[0], p[1]]));
      requestFrame(S);
      return;
    }
    const hit = nearestMean(S, px, py);
    if (hit !== null) {
      select(S, hit === S.selected ? null : hit);
      return;
    }
    setZ(S, z); // a click on empty plane moves the point there
    send(S);
  };
  c.addEventListener("pointerup", release);
  c.addEventListener("pointercancel", release);
  c.addEventListener("keydown", (e) => {
    const big = e.shiftKey ? 0.5 : 0.05;
    const moves = { ArrowLeft: [-big, 0], ArrowRight: [big, 0], ArrowUp: [0, big], ArrowDown: [0, -big] };
    if (moves[e.key]) {
      setZ(S, [S.z[0] + moves[e.key][0], S.z[1] + moves[e.key][1]]);
    } else if (e.key === "Home") {
      setZ(S, [0, 0]);
    } else if (e.key === "Escape") {
      S.path = [];
      if (S.selected !== null) select(S, null);
      requestFrame(S);
    } else {
      return;
    }
    e.preventDefault();
  });
  c.addEventListener("keyup", (e) => {
    if (e.key.startsWith("Arrow") || e.key === "Home") send(S);
  });
  c.addEventListener("focus", () => { S.focused = c.matches(":focus-visible"); requestFrame(S); });
  c.addEventListener("blur", () => { S.focused = false; requestFrame(S); });
  // Hovering a bar shows its full column name and the data's range (names may be cut to fit).
  S.view.fg.addEventListener("pointermove", (e) => {
    const tip = barTooltip(S, eventPx(S.view.fg, e)[1]);
    if (S.view.fg.title !== tip) S.view.fg.title = tip;
  });
  // Clicking a data point in the data view selects it too.
  S.view.fg.addEventListener("click", (e) => {
    if (S.data.kind !== "scatter" || !S.data.x) return;
    const [px, py] = eventPx(S.view.fg, e);
    const V = viewFrame(S);
    let best = null, bestD = HIT_RADIUS * HIT_RADIUS;
    S.data.x.forEach((x, i) => {
      const [qx, qy] = V.toPx(x[0], x[1]);
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    });
    select(S, best);
  });
}

// ------------------------------------------------------------------- entry --
export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const root = parentElement.querySelector(".ll-pad");
  if (!root) return;
  let S = root.__llPad;
  const first = !S;
  if (first) {
    S = root.__llPad = {
      root,
      pad: { bg: root.querySelector(".ll-latent .ll-bg"), fg: root.querySelector(".ll-latent .ll-fg") },
      view: { bg: root.querySelector(".ll-view .ll-bg"), fg: root.querySelector(".ll-view .ll-fg") },
      z: [0, 0], trail: [], path: [], selected: null, raf: 0, layers: {}, pushedLayers: null,
      dragging: false, focused: false, press: null, pushedZ: null,
      padSize: { w: 1, h: 1 }, viewSize: { w: 1, h: 1 }, dataPx: [],
    };
  }
  const prevRows = S.data ? S.data.rows : null;
  S.data = data;
  S.setStateValue = setStateValue; // the newest closure (form/fragment ids may change)
  S.decode = compileDecoder(data.decoder);
  root.classList.toggle("ll-single", !data.show_view);
  root.querySelector(".ll-view .ll-title").textContent = data.view_title || "Decoded output";
  root.querySelector(".ll-hint").textContent = data.hint;
  S.pad.fg.setAttribute("aria-label", `Latent plane. ${data.hint}`);
  syncLayers(S, first);
  const legend = root.querySelector(".ll-legend");
  legend.replaceChildren(
    ...data.legend.map(([color, text]) => {
      const span = document.createElement("span");
      const swatch = document.createElement("b");
      swatch.style.background = color;
      span.append(swatch, document.createTextNode(text)); // names are text, never HTML
      return span;
    }),
  );
  // Keep the user's point, unless Python pushes a new one (initial z, a shared cursor).
  const pushed = JSON.stringify(data.z);
  if (first) {
    S.z = data.z || data.z0 || [0, 0];
  } else if (data.z && pushed !== S.pushedZ && !S.dragging) {
    S.z = data.z;
  }
  S.pushedZ = pushed;
  S.z = [clamp(S.z[0], -data.limit, data.limit), clamp(S.z[1], -data.limit, data.limit)];
  if (JSON.stringify(prevRows) !== JSON.stringify(data.rows)) S.selected = null; // new data
  if (S.selected === null && data.selected_index !== null && data.selected_index !== undefined) {
    S.selected = data.selected_index;
  }
  if (data.mode !== "interpolate") S.path = [];
  if (first) {
    attachInput(S);
    S.resize = new ResizeObserver(() => redrawAll(S));
    S.resize.observe(root.querySelector(".ll-latent .ll-stack"));
    S.resize.observe(root.querySelector(".ll-view .ll-stack"));
    S.themeTimer = setInterval(() => {
      // The theme can change without new data (settings menu): redraw when it does.
      if (!root.isConnected) return teardown(S);
      const t = theme(root);
      if (S.theme && (t.text !== S.theme.text || t.bg !== S.theme.bg)) redrawAll(S);
    }, 1000);
  }
  redrawAll(S);
  // Streamlit may call a stale run's cleanup while the pad lives on (a data update
  // racing another): tear down only once the pad has really left the page.
  return () => setTimeout(() => teardown(S), 0);
}

function syncLayers(S, first) {
  // The toggles come from Python (vae/ui/latent_pad/layers.py) with the session's choices.
  // Python's choice wins when it changes (another pad toggled); otherwise the user's clicks here stand.
  const layers = S.data.layers || [];
  const pushed = JSON.stringify(layers.map((l) => [l.key, l.on]));
  if (first || pushed !== S.pushedLayers) S.layers = Object.fromEntries(layers.map((l) => [l.key, l.on]));
  S.pushedLayers = pushed;
  const bar = S.root.querySelector(".ll-layers");
  const signature = JSON.stringify(layers.map((l) => [l.key, l.label, l.color, l.help]));
  if (bar.dataset.signature !== signature) {
    // Rebuilt only when the set of layers changes, so a focused toggle keeps its focus.
    bar.dataset.signature = signature;
    const caption = document.createElement("span");
    caption.className = "ll-layers-caption";
    caption.textContent = "Show:";
    bar.replaceChildren(
      caption,
      ...layers.map((l) => {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.layer = l.key;
        button.title = l.help;
        const swatch = document.createElement("b");
        swatch.style.background = l.color;
        button.append(swatch, document.createTextNode(l.label));
        button.addEventListener("click", () => toggleLayer(S, l.key));
        return button;
      }),
    );
  }
  for (const button of bar.querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(shown(S, button.dataset.layer)));
  }
}

function toggleLayer(S, key) {
  S.layers = { ...S.layers, [key]: !shown(S, key) };
  for (const button of S.root.querySelectorAll(".ll-layers button")) {
    button.setAttribute("aria-pressed", String(shown(S, button.dataset.layer)));
  }
  redrawAll(S);
  S.setStateValue("layers", { ...S.layers });
}

function teardown(S) {
  if (S.root.isConnected) return;
  if (S.resize) S.resize.disconnect();
  clearInterval(S.themeTimer);
  if (S.raf) cancelAnimationFrame(S.raf);
  delete S.root.__llPad;
}
