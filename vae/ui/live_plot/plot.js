// Latent Lab's live plot: panels of lines, points, ellipses, circles and marker lines on one
// canvas, redrawn in place when Python sends new data.
//
// Why not st.plotly_chart: its element id includes the figure, so every live update mounts a new
// Plotly chart, which is blank (height 0) until Plotly has drawn it. This component is keyed, so
// Streamlit keeps the same DOM node and calls this function again with the new `data`; the
// canvas keeps its size and old picture until the new one is painted in the next frame.
//
// Data (see vae/ui/live_plot/__init__.py): {panels: [...], legend: [[color, text], ...]}.

const MARGIN = { left: 54, right: 10, top: 22, bottom: 34 };
const GAP = 18; // px between panels

function niceStep(span, target) {
  const raw = span / Math.max(target, 1);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const unit = raw / power;
  return (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power;
}

function linearTicks(lo, hi, target, minStep = 0) {
  // minStep 1 on a count axis (epochs): no tick at epoch 1.5 while a run has one or two epochs.
  const step = Math.max(niceStep(hi - lo, target), minStep);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function logTicks(lo, hi) {
  // lo, hi are log10 values; label decades, and 2 and 5 when there are few decades.
  const ticks = [];
  const few = hi - lo < 2.5;
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    for (const m of few ? [1, 2, 5] : [1]) {
      const v = d + Math.log10(m);
      if (v >= lo - 1e-9 && v <= hi + 1e-9) ticks.push(v);
    }
  }
  if (ticks.length >= 2) return ticks;
  // Within a decade and past every 1, 2 and 5 (a loss going from 90 to 60): round values instead,
  // so the axis still has numbers on it.
  return linearTicks(Math.pow(10, lo), Math.pow(10, hi), 4).filter((v) => v > 0).map(Math.log10);
}

function formatTick(v, log) {
  const value = log ? Math.pow(10, v) : v;
  const a = Math.abs(value);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return value.toExponential(0).replace("e+", "e");
  return Number(value.toPrecision(4)).toLocaleString("en-US", { maximumFractionDigits: 4 });
}

function dataRange(panel, axis, log) {
  let lo = Infinity;
  let hi = -Infinity;
  const visit = (v) => {
    if (!Number.isFinite(v) || (log && v <= 0)) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  };
  for (const s of [...(panel.lines || []), ...(panel.points || [])]) for (const v of s[axis]) visit(v);
  if (lo === Infinity) return log ? [0, 1] : [0, 1];
  if (log) [lo, hi] = [Math.log10(lo), Math.log10(hi)];
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.1 || 1;
  return [lo - pad, hi + pad];
}

function axisRange(panel, axis) {
  const spec = panel[axis] || {};
  if (spec.range) return spec.log ? spec.range.map(Math.log10) : spec.range;
  return dataRange(panel, axis, spec.log);
}

function drawPanel(ctx, panel, box, colors) {
  const xs = panel.x || {};
  const ys = panel.y || {};
  let [x0, x1] = axisRange(panel, "x");
  let [y0, y1] = axisRange(panel, "y");
  let plot = {
    left: box.left + MARGIN.left,
    top: box.top + MARGIN.top,
    width: Math.max(box.width - MARGIN.left - MARGIN.right, 10),
    height: Math.max(box.height - MARGIN.top - MARGIN.bottom, 10),
  };
  if (panel.square) {
    // Equal units on both axes (the latent plane): shrink the longer side, centred.
    const side = Math.min(plot.width, plot.height);
    plot = { left: plot.left + (plot.width - side) / 2, top: plot.top + (plot.height - side) / 2, width: side, height: side };
  }
  const px = (v) => plot.left + ((xs.log ? Math.log10(v) : v) - x0) / (x1 - x0 || 1) * plot.width;
  const py = (v) => plot.top + plot.height - ((ys.log ? Math.log10(v) : v) - y0) / (y1 - y0 || 1) * plot.height;
  const scale = plot.width / (x1 - x0 || 1); // px per data unit (x), for radii

  // Frame, grid and tick labels.
  ctx.font = "11px sans-serif";
  ctx.fillStyle = colors.text;
  ctx.strokeStyle = colors.grid;
  ctx.lineWidth = 1;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xticks = xs.log ? logTicks(x0, x1) : linearTicks(x0, x1, Math.max(2, plot.width / 80), xs.integer ? 1 : 0);
  for (const t of xticks) {
    const x = plot.left + (t - x0) / (x1 - x0) * plot.width;
    ctx.beginPath(); ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.top + plot.height); ctx.stroke();
    ctx.fillText(formatTick(t, xs.log), x, plot.top + plot.height + 4);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const yticks = ys.log ? logTicks(y0, y1) : linearTicks(y0, y1, Math.max(2, plot.height / 50));
  for (const t of yticks) {
    const y = plot.top + plot.height - (t - y0) / (y1 - y0) * plot.height;
    ctx.beginPath(); ctx.moveTo(plot.left, y); ctx.lineTo(plot.left + plot.width, y); ctx.stroke();
    ctx.fillText(formatTick(t, ys.log), plot.left - 4, y);
  }
  ctx.strokeStyle = colors.frame;
  ctx.strokeRect(plot.left, plot.top, plot.width, plot.height);
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.font = "600 12px sans-serif";
  if (panel.title) ctx.fillText(panel.title, plot.left + plot.width / 2, plot.top - 5);
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "bottom";
  if (xs.label) ctx.fillText(xs.label, plot.left + plot.width / 2, box.top + box.height);
  if (ys.label) {
    ctx.save();
    ctx.translate(box.left + 10, plot.top + plot.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(ys.label, 0, 0);
    ctx.restore();
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(plot.left, plot.top, plot.width, plot.height);
  ctx.clip();
  for (const c of panel.circles || []) {
    ctx.strokeStyle = c.color;
    ctx.setLineDash(c.dash ? [5, 4] : []);
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    ctx.arc(px(0), py(0), c.r * scale, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  for (const e of panel.ellipses || []) {
    ctx.fillStyle = e.color;
    ctx.globalAlpha = e.opacity ?? 0.12;
    for (let i = 0; i < e.cx.length; i++) {
      ctx.beginPath();
      ctx.ellipse(px(e.cx[i]), py(e.cy[i]), Math.max(e.rx[i] * scale, 0.5), Math.max(e.ry[i] * scale, 0.5), 0, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.globalAlpha = 1;
  for (const s of panel.points || []) {
    ctx.fillStyle = s.color;
    ctx.globalAlpha = s.opacity ?? 0.7;
    const r = (s.size ?? 4) / 2;
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
      ctx.beginPath();
      ctx.arc(px(s.x[i]), py(s.y[i]), r, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.globalAlpha = 1;
  // Circle labels (the prior's 1σ, 2σ) where they cover the fewest points (vae/ui/label_place.js).
  ctx.font = "600 11px sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const dataPx = [];
  for (const s of panel.points || []) {
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i])) dataPx.push([px(s.x[i]), py(s.y[i])]);
    }
  }
  const taken = [];
  for (const c of panel.circles || []) {
    if (!c.label) continue;
    const spot = placeLabel(plot, ctx.measureText(c.label).width, 12, px(0), py(0), c.r * scale, dataPx, taken);
    if (!spot) continue; // the circle is outside the plot
    taken.push(spot.box);
    ctx.fillStyle = c.color;
    ctx.fillText(c.label, spot.x, spot.y);
  }
  ctx.font = "11px sans-serif";
  for (const s of panel.lines || []) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width ?? 2;
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      const ok = Number.isFinite(s.y[i]) && !(ys.log && s.y[i] <= 0);
      if (!ok) { pen = false; continue; }
      const x = px(s.x[i]);
      const y = py(s.y[i]);
      if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      pen = true;
    }
    ctx.stroke();
  }
  for (const m of panel.vlines || []) {
    const x = px(m.x);
    ctx.strokeStyle = m.color;
    ctx.lineWidth = m.width ?? 1.5;
    ctx.setLineDash(m.dash ? [4, 3] : []);
    ctx.beginPath(); ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.top + plot.height); ctx.stroke();
    if (m.label) {
      ctx.fillStyle = m.color;
      ctx.textAlign = x > plot.left + plot.width * 0.7 ? "right" : "left";
      ctx.textBaseline = "top";
      ctx.fillText(m.label, x + (ctx.textAlign === "left" ? 3 : -3), plot.top + 3);
    }
  }
  ctx.restore();
}

function draw(state) {
  const { canvas, root, data } = state;
  state.frame = 0;
  const rect = canvas.getBoundingClientRect();
  if (rect.width < 2 || rect.height < 2) return; // hidden (another tab): draw when it shows
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(rect.width * ratio);
  const height = Math.round(rect.height * ratio);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, rect.width, rect.height);
  const text = getComputedStyle(root).color || "#31333f";
  const colors = { text, grid: "rgba(128, 128, 128, 0.18)", frame: "rgba(128, 128, 128, 0.45)" };
  const panels = data.panels || [];
  const each = (rect.width - GAP * (panels.length - 1)) / Math.max(panels.length, 1);
  panels.forEach((panel, i) => {
    drawPanel(ctx, panel, { left: i * (each + GAP), top: 0, width: each, height: rect.height }, colors);
  });
  canvas.dataset.drawn = String((Number(canvas.dataset.drawn) || 0) + 1); // for tests: frames painted
}

function schedule(state) {
  if (!state.frame) state.frame = requestAnimationFrame(() => draw(state));
}

export default function (component) {
  const { parentElement, data } = component;
  const root = parentElement.querySelector(".ll-plot");
  if (!root) return;
  let state = root.__llPlot;
  if (!state) {
    state = root.__llPlot = { root, canvas: root.querySelector(".ll-plot-canvas"), frame: 0 };
    state.observer = new ResizeObserver(() => schedule(state));
    state.observer.observe(state.canvas);
  }
  state.data = data;
  root.style.setProperty("--ll-plot-height", `${data.height || 300}px`);
  state.canvas.setAttribute("aria-label", data.alt || "chart");
  const signature = JSON.stringify(data.legend || []);
  if (signature !== state.legendSignature) {
    state.legendSignature = signature;
    root.querySelector(".ll-plot-legend").replaceChildren(
      ...(data.legend || []).map(([color, label]) => {
        const span = document.createElement("span");
        const swatch = document.createElement("b");
        swatch.style.background = color;
        span.append(swatch, document.createTextNode(label)); // labels are text, never HTML
        return span;
      }),
    );
  }
  schedule(state);
}
