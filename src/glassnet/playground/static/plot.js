// The output plot (heat map, training and test points, the picked point) and the loss curve.
import {$, S, css, paintMap, schedule, send, toByte, toast} from "./common.js";

function dataToPx(x, y, size) {
  const [lo, hi] = S.state.points.domain;
  return [(x - lo) / (hi - lo) * size, (hi - y) / (hi - lo) * size];
}

function pointColour(label) {
  const st = S.state;
  if (st.config.problem === "classification") return label >= 0.5 ? css(255) : css(1);   // byte 0 is NaN's colour
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
  // axis ticks at the domain's ends (TF's fixed -6..6 for the generated sets)
  ctx.fillStyle = "rgba(0,0,0,.55)"; ctx.font = "10px sans-serif";
  const [lo, hi] = st.points.domain;
  ctx.fillText(String(lo), 2, size - 3); ctx.fillText(String(hi), size - 16, size - 3); ctx.fillText(String(hi), 2, 10);
}

/** The loss curve, with axes (loss up, steps along) and a legend. */
export function drawCurve() {
  const c = $("curve"), ctx = c.getContext("2d"), h = S.history;
  const L = 44, R = 6, T = 14, B = 16, w = c.width - L - R, ht = c.height - T - B;
  ctx.clearRect(0, 0, c.width, c.height);
  ctx.font = "10px sans-serif"; ctx.fillStyle = "#666"; ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, T + ht); ctx.lineTo(L + w, T + ht); ctx.stroke();
  // legend
  const legend = [["training", "#999"], ["test", "#000"]];
  let lx = L + 4;
  for (const [name, colour] of legend) {
    ctx.strokeStyle = colour; ctx.lineWidth = 2; ctx.beginPath(); ctx.moveTo(lx, 7); ctx.lineTo(lx + 14, 7); ctx.stroke();
    ctx.fillText(name + " loss", lx + 17, 10); lx += 90;
  }
  let max = 0;
  for (const [, a, b] of h) { if (a !== null) max = Math.max(max, a); if (b !== null) max = Math.max(max, b); }
  const first = h.length ? h[0][0] : 0, last = h.length ? h[h.length - 1][0] : 0;
  ctx.fillStyle = "#666";
  ctx.textAlign = "right";
  ctx.fillText(max > 0 ? (max >= 1e4 ? max.toExponential(0) : max.toPrecision(2)) : "", L - 3, T + 8);
  ctx.fillText("0", L - 3, T + ht);
  ctx.textAlign = "left"; ctx.fillText(`step ${first}`, L, c.height - 3);
  ctx.textAlign = "right"; ctx.fillText(`${last}`, L + w, c.height - 3);
  ctx.textAlign = "left";
  ctx.save(); ctx.translate(9, T + ht / 2 + 12); ctx.rotate(-Math.PI / 2); ctx.fillText("loss", 0, 0); ctx.restore();
  if (h.length < 2 || !(max > 0)) return;
  const line = (k, colour, width) => {
    ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = width;
    let started = false;
    h.forEach((p, i) => {
      if (p[k] === null) { started = false; return; }
      const x = L + i / (h.length - 1) * w, y = T + ht - p[k] / max * ht;
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
