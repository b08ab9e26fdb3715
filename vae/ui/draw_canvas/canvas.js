// Draw-your-own-data canvas (Streamlit custom component v2, no build step).
// Data units span [-range, range] on both axes, y up. Each point is [x, y, class];
// the brush paints the class Python chose (its colour is colors[class]). The point
// list lives on the DOM node (the JS re-runs when Python's data changes) and is
// sent to Python on pointer release as the state value "points". Python replaces
// the drawing only by sending a new `token` (Clear, Undo).
export default function (component) {
  const { parentElement, data, setStateValue } = component;
  const root = parentElement.querySelector(".ll-draw");
  const canvas = root.querySelector("canvas");
  const status = root.querySelector(".ll-draw-status");
  const s = root.__llState || (root.__llState = { points: [], token: null, drawing: false, last: null });
  if (s.token !== data.token) {
    s.points = (data.points || []).map((p) => [Number(p[0]), Number(p[1]), Number(p[2]) || 0]);
    s.token = data.token;
  }
  s.mode = data.mode === "erase" ? "erase" : "draw";
  s.size = Math.max(1, Number(data.size) || 20); // brush radius, CSS pixels
  s.density = Math.max(1, Math.round(Number(data.density) || 5)); // points per dab
  s.range = Number(data.range) || 5;
  s.maxPoints = Number(data.max_points) || 20000;
  s.colors = data.colors && data.colors.length ? data.colors : ["#6C4BD8"];
  s.cls = Math.max(0, Math.min(s.colors.length - 1, Math.round(Number(data.cls) || 0)));
  s.send = setStateValue;

  const color = (name, fallback) =>
    getComputedStyle(root).getPropertyValue(name).trim() || fallback;

  function toData(px, py, w, h) {
    return [(px / w) * 2 * s.range - s.range, s.range - (py / h) * 2 * s.range];
  }

  function draw() {
    const rect = canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(rect.width * dpr));
    const h = Math.max(1, Math.round(rect.height * dpr));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    const sx = w / (2 * s.range);
    const sy = h / (2 * s.range);
    ctx.lineWidth = 1;
    ctx.strokeStyle = "rgba(128,128,128,0.18)";
    for (let v = -s.range; v <= s.range; v += 1) {
      ctx.beginPath();
      ctx.moveTo((v + s.range) * sx, 0);
      ctx.lineTo((v + s.range) * sx, h);
      ctx.moveTo(0, (s.range - v) * sy);
      ctx.lineTo(w, (s.range - v) * sy);
      ctx.stroke();
    }
    ctx.strokeStyle = "rgba(128,128,128,0.55)";
    ctx.beginPath();
    ctx.moveTo(s.range * sx, 0);
    ctx.lineTo(s.range * sx, h);
    ctx.moveTo(0, s.range * sy);
    ctx.lineTo(w, s.range * sy);
    ctx.stroke();
    // Coordinates along both axes (every 1 unit, the ends left out) and the axis names.
    const text = color("--st-text-color", "#31333f");
    ctx.fillStyle = text;
    ctx.globalAlpha = 0.7;
    ctx.font = `${11 * dpr}px sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let v = -s.range + 1; v < s.range; v += 1) {
      if (v !== 0) ctx.fillText(String(v), (v + s.range) * sx, s.range * sy + 3 * dpr);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let v = -s.range + 1; v < s.range; v += 1) {
      if (v !== 0) ctx.fillText(String(v), s.range * sx - 4 * dpr, (s.range - v) * sy);
    }
    ctx.fillText("0", s.range * sx - 4 * dpr, s.range * sy + 8 * dpr);
    ctx.font = `bold ${12 * dpr}px sans-serif`;
    ctx.fillText("x", w - 6 * dpr, s.range * sy - 9 * dpr);
    ctx.textAlign = "left";
    ctx.fillText("y", s.range * sx + 6 * dpr, 10 * dpr);
    ctx.globalAlpha = 1;
    // Dots big enough to see (radius 3 CSS px), each in its class's colour.
    const r = 3 * dpr;
    const counts = s.colors.map(() => 0);
    s.colors.forEach((c, k) => {
      ctx.fillStyle = c;
      ctx.beginPath();
      for (const [x, y, cls] of s.points) {
        if ((cls || 0) % s.colors.length !== k) continue;
        counts[k] += 1;
        const px = (x + s.range) * sx, py = (s.range - y) * sy;
        ctx.moveTo(px + r, py);
        ctx.arc(px, py, r, 0, 2 * Math.PI);
      }
      ctx.globalAlpha = 0.8;
      ctx.fill();
      ctx.globalAlpha = 1;
    });
    // The brush ring follows the mouse, or the keyboard cursor while the canvas has keyboard focus.
    const ring = s.hover || (s.keyFocus ? keyCursor() : null);
    if (ring) {
      ctx.strokeStyle = s.mode === "erase" ? "#D55E00" : s.colors[s.cls];
      ctx.lineWidth = s.hover ? 1 : 2 * dpr;
      ctx.beginPath();
      ctx.arc(ring[0] * dpr, ring[1] * dpr, s.size * dpr, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const full = s.points.length >= s.maxPoints ? ` (the maximum; erase or clear to draw more)` : "";
    const perClass = counts.filter((n) => n > 0).length > 1
      ? ` (${counts.map((n, k) => (n ? `class ${k}: ${n.toLocaleString()}` : "")).filter(Boolean).join(", ")})`
      : "";
    status.textContent = `${s.points.length.toLocaleString()} points${perClass}${full} · ${s.mode === "erase" ? "erasing" : `drawing class ${s.cls}`}`;
  }

  function dab(px, py) {
    const rect = canvas.getBoundingClientRect();
    const w = rect.width;
    const h = rect.height;
    if (s.mode === "erase") {
      const [cx, cy] = toData(px, py, w, h);
      const rx = (s.size / w) * 2 * s.range;
      const ry = (s.size / h) * 2 * s.range;
      s.points = s.points.filter(([x, y]) => ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 > 1);
      return;
    }
    for (let i = 0; i < s.density && s.points.length < s.maxPoints; i++) {
      const a = Math.random() * 2 * Math.PI;
      const rr = s.size * Math.sqrt(Math.random()); // uniform over the brush disc
      const [x, y] = toData(px + rr * Math.cos(a), py + rr * Math.sin(a), w, h);
      if (Math.abs(x) <= s.range && Math.abs(y) <= s.range) {
        s.points.push([Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4, s.cls]);
      }
    }
  }

  // Keyboard drawing: the cursor is kept in [0, 1] fractions of the canvas so it
  // survives resizes; it starts in the middle.
  function keyCursor() {
    const rect = canvas.getBoundingClientRect();
    const [fx, fy] = s.cursor || (s.cursor = [0.5, 0.5]);
    return [fx * rect.width, fy * rect.height];
  }

  function local(e) {
    const rect = canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  if (!root.__llBound) {
    root.__llBound = true;
    canvas.addEventListener("pointerdown", (e) => {
      const st = root.__llState;
      canvas.setPointerCapture(e.pointerId);
      st.drawing = true;
      st.last = local(e);
      dab(...st.last);
      root.__llDraw();
    });
    canvas.addEventListener("pointermove", (e) => {
      const st = root.__llState;
      const p = local(e);
      st.hover = p;
      if (st.drawing) {
        // One dab per half brush radius moved, so slow and fast strokes get the same density.
        const step = Math.max(2, st.size / 2);
        if (Math.hypot(p[0] - st.last[0], p[1] - st.last[1]) >= step) {
          dab(...p);
          st.last = p;
        }
      }
      root.__llDraw();
    });
    const finish = () => {
      const st = root.__llState;
      if (!st.drawing) return;
      st.drawing = false;
      st.send("points", st.points);
      root.__llDraw();
    };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", () => {
      root.__llState.hover = null;
      root.__llDraw();
    });
    const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    canvas.addEventListener("keydown", (e) => {
      const st = root.__llState;
      const move = MOVES[e.key];
      if (move) {
        e.preventDefault();
        const step = e.shiftKey ? 0.1 : 0.025; // of the canvas width
        const [fx, fy] = st.cursor || [0.5, 0.5];
        st.cursor = [Math.min(1, Math.max(0, fx + move[0] * step)), Math.min(1, Math.max(0, fy + move[1] * step))];
        if (st.keyPainting) dab(...keyCursor()); // Space held: paint a stroke
      } else if (e.key === " " || e.key === "Enter") {
        e.preventDefault();
        st.keyPainting = true;
        dab(...keyCursor());
      } else {
        return;
      }
      st.keyFocus = true;
      root.__llDraw();
    });
    canvas.addEventListener("keyup", (e) => {
      const st = root.__llState;
      if ((e.key === " " || e.key === "Enter") && st.keyPainting) {
        st.keyPainting = false;
        st.send("points", st.points); // once per stroke, as on pointer release
      }
    });
    canvas.addEventListener("focus", () => {
      root.__llState.keyFocus = canvas.matches(":focus-visible");
      root.__llDraw();
    });
    canvas.addEventListener("blur", () => {
      const st = root.__llState;
      st.keyFocus = false;
      if (st.keyPainting) {
        st.keyPainting = false;
        st.send("points", st.points);
      }
      root.__llDraw();
    });
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(() => root.__llDraw()).observe(canvas);
    }
  }
  root.__llDraw = draw; // the latest closure: handlers always call the current one
  draw();
}
