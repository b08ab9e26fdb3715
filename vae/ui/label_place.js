// Where a ring's label goes on a latent plane: shared by the latent pad (Explore) and the live
// plot (Train), which vae/ui/components.py prepends this file to.

const LABEL_ANGLES = [-45, -30, -60, -15, -75, 45, 30, 60, 15, 75, -135, 135, -120, 120, -150, 150, 0, 180, 90, -90];

function placeLabel(plot, width, height, cx, cy, radius, dataPx, taken) {
  // Where a width x height label just outside a circle of `radius` around (cx, cy) covers the
  // fewest data points (pixel positions), inside `plot` ({left, top, width, height}) and clear
  // of `taken` boxes: {x (left), y (middle), box}, or null when no angle fits in the plot.
  let best = null;
  for (const deg of LABEL_ANGLES) {
    const a = (deg * Math.PI) / 180;
    const ex = cx + Math.cos(a) * radius, ey = cy + Math.sin(a) * radius;
    const x = Math.cos(a) >= 0 ? ex + 3 : ex - 3 - width; // outside, on the side the angle points to
    const y = ey + (Math.sin(a) >= 0 ? height / 2 + 2 : -height / 2 - 2);
    const box = [x, y - height / 2, x + width, y + height / 2];
    if (
      box[0] < plot.left + 2 || box[2] > plot.left + plot.width - 2 ||
      box[1] < plot.top + 2 || box[3] > plot.top + plot.height - 2
    ) {
      continue;
    }
    if (taken.some((o) => box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1])) continue;
    let covered = 0;
    for (const [px, py] of dataPx) {
      if (px >= box[0] - 3 && px <= box[2] + 3 && py >= box[1] - 3 && py <= box[3] + 3) covered++;
    }
    if (!best || covered < best.covered) best = { covered, x, y, box };
    if (covered === 0) break;
  }
  return best;
}
