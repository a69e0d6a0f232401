// The Images page's view of the CNN: every conv layer's kernels and feature maps (click or keys to
// step through a value) and the step-through itself, all drawn from what the server recorded.
import {$, LUT, S, schedule, send, toByte} from "./common.js";

export const fmt = (v) => (v === null || v === undefined ? "NaN" : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
  ? v.toExponential(3) : String(+v.toPrecision(4))).replace("-", "\u2212");
export const num = (v, what) => `<span class="num" data-value="${v}"${what ? ` title="${what}"` : ""}>${fmt(v)}</span>`;
export const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));

// ---------------------------------------------------------------- images on canvases

/** values (row-major, rows x cols) -> a canvas, each value a block; ``color(v)`` -> [r, g, b]. */
export function paintGrid(canvas, values, rows, cols, color) {
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const c = color(values[i]);
    img.data.set([c[0], c[1], c[2], 255], i * 4);
  }
  const tmp = document.createElement("canvas"); tmp.width = cols; tmp.height = rows;
  tmp.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

export const gray = (v) => { const g = Math.round(255 * (1 - Math.max(0, Math.min(1, v)))); return [g, g, g]; };
const diverging = (scale) => (v) => { const b = toByte(v / scale) * 3; return [LUT[b], LUT[b + 1], LUT[b + 2]]; };
export const heat = (scale) => (v) => { const t = Math.min(1, Math.abs(v) / scale); return [255, Math.round(255 * (1 - t * 0.8)), Math.round(255 * (1 - t))]; };
export const maxAbs = (a) => { let m = 0; for (const v of a) m = Math.max(m, Math.abs(v)); return m || 1; };

// ---------------------------------------------------------------- the layers: kernels and feature maps

const MAP_PX = 6;     // screen pixels per feature-map value (per 8×8 input: 48 px a map)

export function buildLayers() {
  const box = $("layers");
  box.innerHTML = "";
  S.sel = null;
  for (const ly of S.state.layers) {
    const k = ly.kernel, sec = document.createElement("div");
    sec.className = "layer"; sec.dataset.layer = ly.index;
    sec.innerHTML = `<h3>conv ${ly.index + 1}: ${ly.in_channels} \u2192 ${ly.out_channels} channels, ${k}\u00D7${k}, ` +
      `${S.state.config.activation}; maps ${ly.side}\u00D7${ly.side}</h3>`;
    // one block per output channel (its input channels side by side), as many blocks a row as fit
    const kc = document.createElement("canvas"), cell = Math.max(3, Math.min(8, Math.floor(120 / (ly.in_channels * (k + 1)))));
    const blockW = ly.in_channels * (k + 1) * cell + cell, kPerRow = Math.min(ly.out_channels, Math.max(1, Math.floor(400 / blockW)));
    kc.className = "kernels"; kc.width = kPerRow * blockW; kc.height = Math.ceil(ly.out_channels / kPerRow) * (k + 1) * cell;
    Object.assign(kc.dataset, {blockW, kPerRow});
    kc.tabIndex = 0; kc.setAttribute("role", "img");
    kc.setAttribute("aria-label", `conv ${ly.index + 1} kernels: one row per output channel, one block per input channel; arrows move, Enter derives a weight's gradient`);
    kc.dataset.cell = cell;
    const mc = document.createElement("canvas"), side = ly.side, px = Math.max(MAP_PX, Math.floor(48 / side)), gap = 4;
    const perRow = Math.min(ly.out_channels, 8);
    mc.className = "maps"; mc.width = perRow * (side * px + gap); mc.height = Math.ceil(ly.out_channels / perRow) * (side * px + gap);
    mc.tabIndex = 0; mc.setAttribute("role", "img");
    mc.setAttribute("aria-label", `conv ${ly.index + 1} feature maps of the current digit; arrows move, Enter steps through a value`);
    Object.assign(mc.dataset, {px, gap, perRow, side});
    const kl = document.createElement("div"), ml = document.createElement("div");
    kl.className = ml.className = "what"; kl.textContent = "kernels"; ml.textContent = "feature maps (after the activation)";
    sec.append(kl, kc, ml, mc);
    box.appendChild(sec);
    bindMaps(mc, ly); bindKernels(kc, ly);
  }
}

function mapAt(mc, ly, ex, ey) {
  const px = +mc.dataset.px, gap = +mc.dataset.gap, perRow = +mc.dataset.perRow, side = +mc.dataset.side, span = side * px + gap;
  const col = Math.floor(ex / span), row = Math.floor(ey / span);
  const x = Math.floor((ex - col * span) / px), y = Math.floor((ey - row * span) / px);
  const o = row * perRow + col;
  if (x >= side || y >= side || o >= ly.out_channels || col >= perRow) return null;
  return {o, y, x};
}

function bindMaps(mc, ly) {
  const pos = (ev) => { const r = mc.getBoundingClientRect(); return [(ev.clientX - r.left) * mc.width / r.width, (ev.clientY - r.top) * mc.height / r.height]; };
  mc.addEventListener("click", (ev) => { const a = mapAt(mc, ly, ...pos(ev)); if (a) explainValue(ly.index, a.o, a.y, a.x); });
  mc.addEventListener("mousemove", (ev) => {
    const a = mapAt(mc, ly, ...pos(ev)), f = S.drawn;
    if (!a || !f) return;
    const m = f.data[`maps${ly.index}`], v = m.values[(a.o * ly.side + a.y) * ly.side + a.x];
    mc.title = `channel ${a.o}, [${a.y}, ${a.x}] = ${fmt(v)} (click: step through it)`;
  });
  mc.addEventListener("keydown", (ev) => {
    const s = S.sel && S.sel.layer === ly.index ? S.sel : {layer: ly.index, o: 0, y: 0, x: 0};
    const moves = {ArrowLeft: [0, 0, -1], ArrowRight: [0, 0, 1], ArrowUp: [0, -1, 0], ArrowDown: [0, 1, 0], PageDown: [1, 0, 0], PageUp: [-1, 0, 0]};
    if (moves[ev.key]) {
      const [dO, dy, dx] = moves[ev.key];
      S.sel = {layer: ly.index, o: Math.max(0, Math.min(ly.out_channels - 1, s.o + dO)), y: Math.max(0, Math.min(ly.side - 1, s.y + dy)),
        x: Math.max(0, Math.min(ly.side - 1, s.x + dx))};
      if (dx && (s.x + dx < 0 || s.x + dx >= ly.side)) S.sel.o = Math.max(0, Math.min(ly.out_channels - 1, s.o + dx));
      S.drawnLayers = null; schedule();
    } else if (ev.key === "Enter" || ev.key === " ") explainValue(ly.index, s.o, s.y, s.x);
    else return;
    ev.preventDefault();
  });
}

function bindKernels(kc, ly) {
  const k = ly.kernel, cell = +kc.dataset.cell, blockW = +kc.dataset.blockW, perRow = +kc.dataset.kPerRow;
  const at = (ex, ey) => {
    const col = Math.floor(ex / blockW), row = Math.floor(ey / ((k + 1) * cell)), o = row * perRow + col;
    const rx = ex - col * blockW, ry = ey - row * (k + 1) * cell, c = Math.floor(rx / ((k + 1) * cell));
    const i = Math.floor(ry / cell), j = Math.floor((rx - c * (k + 1) * cell) / cell);
    return col < perRow && i < k && j < k && o < ly.out_channels && c < ly.in_channels ? {o, c, i, j} : null;
  };
  kc.addEventListener("click", (ev) => {
    const r = kc.getBoundingClientRect(), a = at((ev.clientX - r.left) * kc.width / r.width, (ev.clientY - r.top) * kc.height / r.height);
    if (a) deriveWeight(ly, a.o, [a.c, a.i, a.j]);
  });
  kc.addEventListener("mousemove", (ev) => {
    const r = kc.getBoundingClientRect(), a = at((ev.clientX - r.left) * kc.width / r.width, (ev.clientY - r.top) * kc.height / r.height);
    const f = S.drawn;
    if (!a || !f) return;
    const v = f.data[`kernels${ly.index}`].values[((a.o * ly.in_channels + a.c) * k + a.i) * k + a.j];
    kc.title = `weight[${a.o}, ${a.c}, ${a.i}, ${a.j}] = ${fmt(v)} (click: derive its gradient)`;
  });
  let sel = {o: 0, c: 0, i: 0, j: 0};
  kc.addEventListener("keydown", (ev) => {
    const moves = {ArrowLeft: ["j", -1], ArrowRight: ["j", 1], ArrowUp: ["i", -1], ArrowDown: ["i", 1], PageDown: ["o", 1], PageUp: ["o", -1]};
    if (moves[ev.key]) {
      const [key, d] = moves[ev.key], lim = {i: k, j: k, o: ly.out_channels}[key];
      sel = {...sel, [key]: Math.max(0, Math.min(lim - 1, sel[key] + d))};
      kc.dataset.sel = `${sel.o},${sel.c},${sel.i},${sel.j}`;
    } else if (ev.key === "Enter" || ev.key === " ") deriveWeight(ly, sel.o, [sel.c, sel.i, sel.j]);
    else return;
    ev.preventDefault();
  });
}

/** A kernel weight's gradient: stepped through at the position where its channel is largest. */
function deriveWeight(ly, o, weight) {
  const f = S.drawn; if (!f) return;
  const m = f.data[`maps${ly.index}`].values, n = ly.side * ly.side;
  let best = 0;
  for (let p = 1; p < n; p++) if (m[o * n + p] > m[o * n + best]) best = p;
  explainValue(ly.index, o, Math.floor(best / ly.side), best % ly.side, weight);
}

function explainValue(layer, o, y, x, weight) {
  S.sel = {layer, o, y, x}; S.drawnLayers = null;
  const msg = {type: "explain", layer, channel: o, y, x};
  if (weight) msg.weight = weight;
  send(msg);
  schedule();
}

/** Fill a canvas from cells: ``cell(x, y)`` -> [r, g, b] or null (white), one ImageData write. */
function blit(canvas, cellAt) {
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, img = ctx.createImageData(w, h), d = img.data;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const c = cellAt(x, y), q = (y * w + x) * 4;
    d[q] = c ? c[0] : 255; d[q + 1] = c ? c[1] : 255; d[q + 2] = c ? c[2] : 255; d[q + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return ctx;
}

export function drawLayers(f) {
  for (const ly of S.state.layers) {
    const sec = document.querySelector(`#layers .layer[data-layer="${ly.index}"]`);
    if (!sec) continue;
    const kern = f.data[`kernels${ly.index}`], maps = f.data[`maps${ly.index}`];
    if (!kern || !maps) continue;
    const k = ly.kernel, kc = sec.querySelector("canvas.kernels"), cell = +kc.dataset.cell;
    const blockW = +kc.dataset.blockW, kPerRow = +kc.dataset.kPerRow, kcolor = diverging(maxAbs(kern.values));
    const kcolors = Array.from(kern.values, kcolor);
    blit(kc, (x, y) => {
      const col = Math.floor(x / blockW), row = Math.floor(y / ((k + 1) * cell)), o = row * kPerRow + col;
      const rx = x - col * blockW, c = Math.floor(rx / ((k + 1) * cell));
      const i = Math.floor((y - row * (k + 1) * cell) / cell), j = Math.floor((rx - c * (k + 1) * cell) / cell);
      return i < k && j < k && c < ly.in_channels && o < ly.out_channels ? kcolors[((o * ly.in_channels + c) * k + i) * k + j] : null;
    });
    const mc = sec.querySelector("canvas.maps");
    const px = +mc.dataset.px, gap = +mc.dataset.gap, perRow = +mc.dataset.perRow, side = +mc.dataset.side;
    const ms = maxAbs(maps.values), mcolors = Array.from(maps.values, diverging(ms)), span = side * px + gap;
    const mctx = blit(mc, (x, y) => {
      const col = Math.floor(x / span), row = Math.floor(y / span), o = row * perRow + col;
      const mx = Math.floor((x - col * span) / px), my = Math.floor((y - row * span) / px);
      return mx < side && my < side && col < perRow && o < ly.out_channels ? mcolors[(o * side + my) * side + mx] : null;
    });
    if (S.sel && S.sel.layer === ly.index) {
      const o = S.sel.o, ox = (o % perRow) * span, oy = Math.floor(o / perRow) * span;
      mctx.strokeStyle = "#e91e63"; mctx.lineWidth = 2;
      mctx.strokeRect(ox + S.sel.x * px + 1, oy + S.sel.y * px + 1, px - 2, px - 2);
    }
    mc.dataset.scale = ms;
  }
}

// ---------------------------------------------------------------- the step-through

export function openStepper(m) {
  S.explain = m;
  $("stepper-body").hidden = false; $("stepper-hint").hidden = true;
  const fw = m.forward;
  $("step-head").innerHTML = `<b>conv ${m.layer + 1}, channel ${m.channel}, position [${m.y}, ${m.x}]</b> of the current digit ` +
    `(target ${m.target}; loss ${num(m.loss)}): z = ${num(fw.z, "recorded output of the convolution")}` +
    (fw.a === null ? "" : `, a = ${fw.activation}(z) = ${num(fw.a, "recorded output of the activation")}`) +
    `. One step recorded on copies of the network and optimizer (your session is not changed).`;
  $("step-text").textContent = m.backward.text;
  showPart(S.part || "receptive");
  if (window.innerWidth < 1100) $("stepper").scrollIntoView({block: "nearest"});
  document.body.dataset.explained = `${m.layer},${m.channel},${m.y},${m.x}`;
}

export function closeStepper() {
  S.explain = null;
  $("stepper-body").hidden = true; $("stepper-hint").hidden = false;
}

export function showPart(part) {
  const m = S.explain; if (!m) return;
  S.part = part;
  for (const b of document.querySelectorAll("#stepper .phases button")) b.classList.toggle("current", b.dataset.part === part);
  const view = $("step-view");
  view.dataset.part = part;
  if (part === "receptive") {
    view.innerHTML = `<h3>Receptive field</h3><div class="rf"><canvas id="rf-canvas" width="128" height="128" aria-label="the input pixels this value reads"></canvas>` +
      `<div><div class="eq">${esc(m.receptive.text)}</div><p class="note">Outlined: the ${m.receptive.count} input pixels (rows ${m.receptive.box[2] ? m.receptive.box[2].join("\u2013") : ""}, ` +
      `columns ${m.receptive.box[3] ? m.receptive.box[3].join("\u2013") : ""}) that can change this value (step.receptive_field).</p></div></div>`;
    const c = $("rf-canvas"), f = S.drawn;
    if (f) paintGrid(c, f.data.input.values, 8, 8, gray);
    const ctx = c.getContext("2d"), s = c.width / 8;
    ctx.fillStyle = "rgba(233,30,99,.35)";
    m.receptive.mask.forEach((row, y) => row.forEach((v, x) => { if (v) ctx.fillRect(x * s, y * s, s, s); }));
  } else if (part === "forward") {
    const fw = m.forward, p = m.path;
    let rows = fw.terms.map((t) => `<tr><td>x[${t.input.join(", ")}]${t.inside ? "" : " (padding)"}</td><td>${num(t.x)}</td>` +
      `<td><button class="w" data-w="${t.weight.join(",")}" title="derive this weight's gradient">W[${m.channel}, ${t.weight.join(", ")}]</button></td>` +
      `<td>${num(t.w)}</td><td>${num(t.product)}</td></tr>`).join("");
    if (fw.rest_count) rows += `<tr><td colspan="4">\u2026 ${fw.rest_count} more terms (${fw.zero_terms} of all ${fw.count} are 0, ${fw.padding_terms} read the zero padding)</td><td>${num(fw.rest_sum)}</td></tr>`;
    view.innerHTML = `<h3>Forward: the multiply-adds</h3><div class="eq">z = \u03A3<sub>c,i,j</sub> x[c, ${m.y}+i\u2212p, ${m.x}+j\u2212p] \u00B7 W[${m.channel}, c, i, j] + b = ` +
      `${fw.count} products + bias</div><table class="terms"><tr><th>input</th><th>value</th><th>weight</th><th>value</th><th>product</th></tr>${rows}` +
      `<tr><td colspan="4">bias b[${m.channel}] (${p}.bias)</td><td>${num(fw.bias)}</td></tr>` +
      `<tr class="total"><td colspan="4">sum of the ${fw.count} products + b</td><td>${num(fw.sum)}</td></tr>` +
      `<tr class="total"><td colspan="4">recorded z (the convolution's output)</td><td>${num(fw.z)}</td></tr>` +
      (fw.a === null ? "" : `<tr><td colspan="4">a = ${fw.activation}(z), recorded</td><td>${num(fw.a)}</td></tr>`) + `</table>` +
      `<p class="note">${fw.agrees ? "The sum equals the recorded output (to float32 rounding)." : "The sum DISAGREES with the recorded output."} ` +
      `Inputs and weights are the recorded op's (the layer's input and the kernel before the step). Click a weight to derive its gradient.</p>`;
    for (const b of view.querySelectorAll("button.w")) b.onclick = () => explainValue(m.layer, m.channel, m.y, m.x, b.dataset.w.split(",").map(Number));
  } else if (part === "backward") {
    const d = m.backward;
    view.innerHTML = `<h3>Backward: ${esc(d.entry)}</h3><div class="eq headline">${esc(d.headline)}</div><p class="note">${esc(d.convention)}</p>` +
      d.lines.map((l) => `<div class="eq">${esc(l.math)}${l.note ? ` <span class="note">(${esc(l.note)})</span>` : ""}</div>`).join("") +
      `<p class="note">Recorded gradient ${num(d.value)}; the sum of all ${d.count} terms ${num(d.total)} \u2014 ${d.agrees ? "they agree" : "they DISAGREE"}. ` +
      `The same derivation as <code>step.derivation("${esc(d.entry)}")</code>.</p>`;
  } else {
    const side = Math.round(Math.sqrt(m.map.length ? m.map.length * m.map[0].length : 0));
    view.innerHTML = `<h3>Feature map: conv ${m.layer + 1}, channel ${m.channel} (after ${m.forward.activation})</h3><table class="fmap">` +
      m.map.map((row, y) => "<tr>" + row.map((v, x) => `<td class="${y === m.y && x === m.x ? "sel" : ""}">${num(v)}</td>`).join("") + "</tr>").join("") +
      `</table><p class="note">From the recording (explain's conv_arrays); kernel W[${m.channel}] before the step:</p><table class="fmap">` +
      m.kernel.map((ch, c) => ch.map((row) => "<tr>" + row.map((v) => `<td>${num(v)}</td>`).join("") + "</tr>").join("") +
      (c < m.kernel.length - 1 ? '<tr class="gap"><td></td></tr>' : "")).join("") + "</table>";
    view.dataset.side = side;
  }
}
