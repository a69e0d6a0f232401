// The output plot (heat map, training and test points, the picked point) and the loss curve.
import {$, S, css, paintMap, schedule, send, toByte, toast} from "./common.js";

function dataToPx(x, y, size) {
  const [lo, hi] = S.state.points.domain;
  return [(x - lo) / (hi - lo) * size, (hi - y) / (hi - lo) * size];
}

function pointColour(label) {
  const st = S.state;
  if (st.config.problem === "classification") return label >= 0.5 ? css(255) : css(0);
  const [lo, hi] = st.points.label_range;
  return css(toByte(((label - lo) / (hi - lo)) * 2 - 1));
}

export function drawOutput() {
  const st = S.state, f = S.drawn, canvas = $("output"), ctx = canvas.getContext("2d"), size = canvas.width;
  if (f) paintMap(canvas, f.maps.output, st.config.discretize, true);
  else { ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, size, size); }
  const drawPts = (pts, stroke) => {
    for (const [x, y, label] of pts) {
      const [px, py] = dataToPx(x, y, size);
      ctx.beginPath(); ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = pointColour(label); ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = stroke; ctx.stroke();
    }
  };
  drawPts(st.points.train, "#fff");
  if (st.config.show_test) drawPts(st.points.test, "#000");
  if (S.selected) {
    const pts = st.points[S.selected.split], p = pts && pts[S.selected.index];
    if (p) {
      const [px, py] = dataToPx(p[0], p[1], size);
      ctx.beginPath(); ctx.arc(px, py, 8, 0, 2 * Math.PI);
      ctx.lineWidth = 2.5; ctx.strokeStyle = "#e91e63"; ctx.stroke();
    }
  }
  // axis ticks at the domain's ends
  ctx.fillStyle = "rgba(0,0,0,.55)"; ctx.font = "10px sans-serif";
  const [lo, hi] = st.points.domain;
  ctx.fillText(String(lo), 2, size - 3); ctx.fillText(String(hi), size - 22, size - 3); ctx.fillText(String(hi), 2, 10);
}

export function drawCurve() {
  const c = $("curve"), ctx = c.getContext("2d"), h = S.history;
  ctx.clearRect(0, 0, c.width, c.height);
  if (h.length < 2) return;
  let max = 0;
  for (const [, a, b] of h) { if (a !== null) max = Math.max(max, a); if (b !== null) max = Math.max(max, b); }
  if (!(max > 0)) return;
  const line = (k, colour, width) => {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = width;
    let started = false;
    h.forEach((p, i) => {
      if (p[k] === null) return;
      const x = i / (h.length - 1) * (c.width - 2) + 1, y = c.height - 2 - p[k] / max * (c.height - 6);
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    });
    ctx.stroke();
  };
  line(1, "#999", 1.5);
  line(2, "#000", 1.5);
}

// ---------------------------------------------------------------- picking a point

export function onPlotClick(ev) {
  const st = S.state; if (!st) return;
  const c = $("output"), r = c.getBoundingClientRect();
  const px = (ev.clientX - r.left) * c.width / r.width, py = (ev.clientY - r.top) * c.height / r.height;
  let best = null;
  const consider = (pts, split) => pts.forEach((p, index) => {
    const [qx, qy] = dataToPx(p[0], p[1], c.width), d = Math.hypot(qx - px, qy - py);
    if (d < 10 && (!best || d < best.d)) best = {d, split, index};
  });
  consider(st.points.train, "train");
  if (st.config.show_test) consider(st.points.test, "test");
  if (!best) return toast("notice", "Click on a data point to step through it.");
  S.selected = {split: best.split, index: best.index};
  send({type: "explain", split: best.split, index: best.index});
  schedule();
}
