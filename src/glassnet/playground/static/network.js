// The network diagram: feature, neuron and output maps; edges coloured and sized by weight;
// hover shows a weight, its last gradient and update; click edits it.
import {$, FEATURE_LABELS, GRID, S, css, hiddenNow, paintMap, send, sendHidden, toByte, toast} from "./common.js";

// ---------------------------------------------------------------- the network diagram

const NODE = 44, GAP = 14, TOP = 56, MIN_COL = 150;   // columns never closer than MIN_COL px: a wide
                                                       // network scrolls sideways instead of squeezing

let nodes = {};       // "c:i" -> div (column c: 0 inputs, 1..L hidden, L+1 output)

let edges = [];       // {layer, row, col, path, hit}

let biasBoxes = [];   // {layer, row, el}

function colX(c, ncols) {
  const w = $("net-scroll").clientWidth || 600;
  const step = Math.max(MIN_COL, (w - 90 - NODE - 20) / Math.max(1, ncols - 1));
  return 90 + c * step;
}

const nodeY = (i) => TOP + i * (NODE + GAP);

export function buildNetwork() {
  const net = $("network"), svg = $("edges");
  for (const el of net.querySelectorAll(".node, .layer-label, .layer-buttons")) el.remove();
  svg.innerHTML = "";
  nodes = {}; edges = []; biasBoxes = [];
  const cfg = S.state.config, feats = S.hello.options.features, sizes = S.state.sizes;
  const L = cfg.hidden.length, ncols = L + 2;
  const enabled = cfg.features;
  net.style.width = (colX(ncols - 1, ncols) + NODE + 20) + "px";
  // inputs: all seven features; the enabled ones feed the network
  feats.forEach((f, i) => {
    const div = makeNode(colX(0, ncols), nodeY(i), "input" + (enabled.includes(f) ? "" : " off"));
    div.dataset.feature = f;
    div.title = enabled.includes(f) ? `${f}: click to leave out` : `${f}: click to use`;
    const name = document.createElement("span"); name.className = "name"; name.textContent = FEATURE_LABELS[f];
    div.appendChild(name);
    div.onclick = () => {
      const now = S.state.config.features, next = now.includes(f) ? now.filter((x) => x !== f) : now.concat([f]);
      if (!next.length) return toast("error", "Keep at least one input feature.");
      send({type: "set", config: {features: next}});
    };
    const pos = enabled.indexOf(f);
    if (pos >= 0) nodes["0:" + pos] = div;
  });
  label(colX(0, ncols), "FEATURES");
  for (let l = 1; l <= L; l++) {
    const x = colX(l, ncols);
    label(x, `${sizes[l]} neuron${sizes[l] > 1 ? "s" : ""}`);
    const btns = document.createElement("div");
    btns.className = "layer-buttons"; btns.style.left = (x + 2) + "px"; btns.style.top = "22px";
    const plus = document.createElement("button"); plus.textContent = "+"; plus.setAttribute("aria-label", `add neuron to layer ${l}`);
    const minus = document.createElement("button"); minus.textContent = "\u2212"; minus.setAttribute("aria-label", `remove neuron from layer ${l}`);
    plus.onclick = () => changeNeurons(l - 1, +1);
    minus.onclick = () => changeNeurons(l - 1, -1);
    btns.append(plus, minus);
    net.appendChild(btns);
    for (let j = 0; j < sizes[l]; j++) {
      nodes[l + ":" + j] = makeNode(x, nodeY(j), "hidden", l - 1, j);
    }
  }
  const ox = colX(L + 1, ncols);
  label(ox, "OUTPUT");
  nodes[(L + 1) + ":0"] = makeNode(ox, nodeY(0), "output-node", L, 0);
  // edges, one per weight: layer l's weight[row, col] joins column l's node col to column l+1's node row
  for (let l = 0; l <= L; l++) {
    for (let row = 0; row < sizes[l + 1]; row++) for (let col = 0; col < sizes[l]; col++) {
      const a = nodes[l + ":" + col], b = nodes[(l + 1) + ":" + row];
      const x1 = parseFloat(a.style.left) + NODE, y1 = parseFloat(a.style.top) + NODE / 2;
      const x2 = parseFloat(b.style.left), y2 = parseFloat(b.style.top) + NODE / 2, xm = (x1 + x2) / 2;
      const d = `M${x1},${y1} C${xm},${y1} ${xm},${y2} ${x2},${y2}`;
      const path = svgPath(d, "edge"), hit = svgPath(d, "edge hit");
      const e = {layer: l, row, col, path, hit};
      path.dataset.edge = hit.dataset.edge = `${l},${row},${col}`;
      hit.addEventListener("mouseenter", (ev) => { S.hover = {kind: "w", e}; path.classList.add("hover"); showTip(ev); });
      hit.addEventListener("mousemove", showTip);
      hit.addEventListener("mouseleave", () => { S.hover = null; path.classList.remove("hover"); hideTip(); });
      hit.addEventListener("click", (ev) => editWeight(ev, l, row, col));
      edges.push(e);
    }
  }
  for (const e of edges) svg.appendChild(e.path);
  for (const e of edges) svg.appendChild(e.hit);
  if (S.onNetworkBuilt) S.onNetworkBuilt();      // a link's hidden controls stay hidden
}

function label(x, text) {
  const d = document.createElement("div");
  d.className = "layer-label"; d.style.left = (x - 13) + "px"; d.style.top = "0px"; d.textContent = text;
  $("network").appendChild(d);
}

function makeNode(x, y, cls, layer, row) {
  const div = document.createElement("div");
  div.className = "node " + cls;
  div.style.left = x + "px"; div.style.top = y + "px";
  const c = document.createElement("canvas"); c.width = c.height = GRID;
  div.appendChild(c);
  if (layer !== undefined) {
    const b = document.createElement("div");
    b.className = "bias"; b.dataset.bias = `${layer},${row}`;
    const entry = {layer, row, el: b};
    b.addEventListener("mouseenter", (ev) => { S.hover = {kind: "b", e: entry}; showTip(ev); });
    b.addEventListener("mousemove", showTip);
    b.addEventListener("mouseleave", () => { S.hover = null; hideTip(); });
    b.addEventListener("click", (ev) => { ev.stopPropagation(); editWeight(ev, layer, row, null); });
    div.appendChild(b);
    biasBoxes.push(entry);
  }
  $("network").appendChild(div);
  return div;
}

function svgPath(d, cls) {
  const p = document.createElementNS("http://www.w3.org/2000/svg", "path");
  p.setAttribute("d", d); p.setAttribute("class", cls);
  return p;
}

function changeNeurons(i, delta) {
  const h = hiddenNow(), n = h[i] + delta;
  if (n === undefined || n < 1 || n > S.hello.limits.max_neurons) return;
  h[i] = n; sendHidden(h);
}

// hover: the weight, its last gradient and its last update

// hover: the weight, its last gradient and its last update

const fmt = (v) => (v === null || v === undefined) ? "\u2013" : !Number.isFinite(v) ? String(v) :
  (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(3) : v.toFixed(4);

/** A weight's name, as the step-through writes it: w<sub>row,col</sub> (the state_dict entry). */
export function weightName(layer, row, col) {
  return col === null ? `b<sub>${row + 1}</sub> (${2 * layer}.bias[${row}])`
    : `w<sub>${row + 1},${col + 1}</sub> (${2 * layer}.weight[${row}, ${col}])`;
}

function neuronName(layer, row) {
  return layer === S.state.sizes.length - 2 ? "the output neuron" : `neuron ${row + 1} of hidden layer ${layer + 1}`;
}

export function tipText() {
  const h = S.hover, f = S.frame;
  if (!h || !f) return "";
  const L = f.layers[h.e.layer];
  if (!L) return "";
  const pick = (k) => { const a = L[k]; if (!a) return null; return h.kind === "w" ? a[h.e.row][h.e.col] : a[h.e.row]; };
  const name = h.kind === "w" ? `weight ${weightName(h.e.layer, h.e.row, h.e.col)}` : `bias ${weightName(h.e.layer, h.e.row, null)}`;
  return `<b>${name}</b><br><small>into ${neuronName(h.e.layer, h.e.row)}</small><br>value ${fmt(pick(h.kind === "w" ? "w" : "b"))}<br>last gradient ${fmt(pick(h.kind === "w" ? "gw" : "gb"))}` +
    `<br>last update ${fmt(pick(h.kind === "w" ? "uw" : "ub"))}<br><small>click to edit</small>`;
}

function showTip(ev) {
  const tip = $("tooltip"), box = $("net-col").getBoundingClientRect();
  if (!ev.clientX && ev.target && ev.target.getBoundingClientRect) {   // keyboard focus: at the element
    const r = ev.target.getBoundingClientRect(); ev = {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2};
  }
  tip.innerHTML = tipText();
  tip.hidden = false;
  tip.style.left = (ev.clientX - box.left + 14) + "px";
  tip.style.top = (ev.clientY - box.top + 10) + "px";
}

function hideTip() { $("tooltip").hidden = true; }

let editing = null;

function editWeight(ev, layer, row, col) {
  const f = S.frame; if (!f) return;
  const L = f.layers[layer];
  const v = col === null ? L.b[row] : L.w[row][col];
  editing = {layer, row, col};
  const ed = $("weight-editor"), box = $("net-col").getBoundingClientRect();
  ed.hidden = false;
  ed.style.left = (ev.clientX - box.left) + "px"; ed.style.top = (ev.clientY - box.top - 10) + "px";
  const inp = $("weight-input");
  inp.value = !Number.isFinite(v) ? "" : String(+v.toFixed(6));
  inp.focus(); inp.select();
}

export function commitWeight() {
  const v = parseFloat($("weight-input").value);
  if (editing && Number.isFinite(v)) send({type: "set_weight", layer: editing.layer, row: editing.row, col: editing.col, value: v});
  else if (editing) toast("error", "A weight must be a number.");
  hideEditor();
}

export function hideEditor() { $("weight-editor").hidden = true; editing = null; }

export function paintInputs() {
  const st = S.state;
  st.config.features.forEach((f, i) => {
    const div = nodes["0:" + i];
    if (div) paintMap(div.querySelector("canvas"), st.input_maps[i], false);
  });
  for (const div of document.querySelectorAll(".node.input.off canvas")) {
    const ctx = div.getContext("2d"); ctx.fillStyle = "#eee"; ctx.fillRect(0, 0, GRID, GRID);
  }
}

export function drawNetwork(f) {
  const L = f.layers.length;
  f.maps.neurons.forEach((layer, l) => layer.forEach((m, j) => {
    const div = nodes[(l + 1) + ":" + j];
    if (div) paintMap(div.querySelector("canvas"), m, false);
  }));
  const out = nodes[L + ":0"];
  if (out) paintMap(out.querySelector("canvas"), f.maps.output, S.state.config.discretize);
  for (const e of edges) {
    const layer = f.layers[e.layer];
    if (!layer || !layer.w[e.row]) continue;
    const v = layer.w[e.row][e.col];
    e.path.setAttribute("stroke", css(toByte(v)));                       // NaN: its own colour
    e.path.setAttribute("stroke-width", (0.6 + (Number.isFinite(v) ? Math.min(6, Math.abs(v) * 2) : 6)).toFixed(2));
  }
  for (const b of biasBoxes) {
    const layer = f.layers[b.layer];
    if (!layer) continue;
    b.el.style.background = css(toByte(layer.b[b.row]));
  }
}

export function clearHighlight() {
  for (const el of document.querySelectorAll(".hi")) el.classList.remove("hi", "flow-back", "flow-fwd");
}

/** Outline the nodes, edges and biases a step is about; the gradient flows back along the edges
 * of a backward step (and the values forward along those of a forward step). */
export function highlight(step) {
  clearHighlight();
  const flow = step.phase === "backward" ? "flow-back" : step.phase === "forward" ? "flow-fwd" : null;
  for (const [c, j] of step.nodes || []) { const n = nodes[c + ":" + j]; if (n) n.classList.add("hi"); }
  for (const [l, r, c] of step.edges || []) for (const e of edges) if (e.layer === l && e.row === r && e.col === c) {
    e.path.classList.add("hi");
    if (flow) e.path.classList.add(flow);
  }
  for (const [l, r] of step.biases || []) for (const b of biasBoxes) if (b.layer === l && b.row === r) b.el.classList.add("hi");
  // bring the step's neurons into the network's own view (sideways only: the page never jumps)
  const first = step.nodes && step.nodes.length && nodes[step.nodes[0][0] + ":" + step.nodes[0][1]];
  if (first) {
    const box = $("net-scroll"), x = parseFloat(first.style.left);
    if (x < box.scrollLeft || x + NODE > box.scrollLeft + box.clientWidth) {
      box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
    }
  }
}
