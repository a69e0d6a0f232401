// Shared by the page's modules: colours, the state, sending, messages, heat maps.

// ---------------------------------------------------------------- colours
// A heat-map byte: 0 is NaN/infinity (its own colour, magenta), 1..255 stand for -1..+1:
// orange (negative), light grey (zero, byte 128), blue (positive).  See frames.py.
const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
export const NAN_RGB = [214, 0, 147];
export const LUT = new Uint8ClampedArray(256 * 3);
LUT.set(NAN_RGB, 0);
for (let v = 1; v < 256; v++) {
  const t = (v - 128) / 127, end = t < 0 ? NEG : POS, a = Math.abs(t);
  for (let c = 0; c < 3; c++) LUT[v * 3 + c] = Math.round(MID[c] + (end[c] - MID[c]) * a);
}
export const LIGHT = LUT.map((c, i) => (i < 3 ? c : Math.round(c * 0.7 + 255 * 0.3)));   // the output plot
export const css = (v) => `rgb(${LUT[v * 3]},${LUT[v * 3 + 1]},${LUT[v * 3 + 2]})`;
export const toByte = (x) => (Number.isFinite(x) ? 1 + Math.round((Math.max(-1, Math.min(1, x)) + 1) * 127) : 0);

export const $ = (id) => document.getElementById(id);
export const FEATURE_LABELS = {"x1": "X\u2081", "x2": "X\u2082", "x1^2": "X\u2081\u00B2", "x2^2": "X\u2082\u00B2",
  "x1x2": "X\u2081X\u2082", "sin(x1)": "sin(X\u2081)", "sin(x2)": "sin(X\u2082)"};
export const DATASET_LABELS = {circle: "circle", xor: "XOR", gaussian: "Gaussian", spiral: "spiral", moons: "moons",
  plane: "plane", multigauss: "multi-Gaussian", bump: "bump", csv: "your CSV", xor_table: "XOR table"};
export const LOSS_LABELS = {bce: "Binary cross-entropy", mse: "Mean squared error", l1: "Mean absolute error"};

// ---------------------------------------------------------------- state

export const S = {
  ws: null, hello: null, state: null, frame: null, drawn: null, history: [], msgId: 0,
  sent: {}, latency: [], selected: null, explain: null, stepIndex: 0, hover: null,
  framesReceived: 0, framesDrawn: 0, pendingHash: null, link: null,
};

export function send(obj) {
  if (!S.ws || S.ws.readyState !== 1) return null;
  obj.id = ++S.msgId;
  S.sent[obj.id] = performance.now();
  S.ws.send(JSON.stringify(obj));
  return obj.id;
}

// Short messages go in a strip of their own under the controls (they never cover a number or a
// control); at most three at once.
export function toast(kind, text, ms) {
  const box = $("messages"), div = document.createElement("div");
  div.className = "msg " + kind;
  div.textContent = text;
  const close = document.createElement("button");
  close.className = "msg-close"; close.textContent = "\u00D7"; close.setAttribute("aria-label", "dismiss");
  close.onclick = () => div.remove();
  div.appendChild(close);
  box.appendChild(div);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => div.remove(), ms || (kind === "error" ? 10000 : 6000));
  document.body.dataset["last" + kind[0].toUpperCase() + kind.slice(1)] = text;
}

export function b64bytes(s) {
  const bin = atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------- heat maps

export const GRID = 64;

const scratches = {};     // one small canvas per map size (64 for the output, 32 for a neuron)

function scratchFor(n) {
  if (!scratches[n]) {
    const c = document.createElement("canvas"); c.width = c.height = n;
    const ctx = c.getContext("2d");
    scratches[n] = {c, ctx, img: ctx.createImageData(n, n)};
  }
  return scratches[n];
}

/** Paint a heat map (uint8 bytes, or base64 of them) onto a canvas, smoothed. */
export function paintMap(canvas, map, discretize, light) {
  const bytes = typeof map === "string" ? b64bytes(map) : map, n = Math.round(Math.sqrt(bytes.length));
  const sc = scratchFor(n), d = sc.img.data, lut = light ? LIGHT : LUT;
  for (let i = 0; i < bytes.length; i++) {
    let v = bytes[i];
    if (discretize && v) v = v >= 128 ? 230 : 26;
    d[i * 4] = lut[v * 3]; d[i * 4 + 1] = lut[v * 3 + 1]; d[i * 4 + 2] = lut[v * 3 + 2]; d[i * 4 + 3] = 255;
  }
  sc.ctx.putImageData(sc.img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(sc.c, 0, 0, canvas.width, canvas.height);
}

// ---------------------------------------------------------------- binary frames (frames.py)

/** A frame's header (JSON) and the offset of its floats. */
function frameHeader(buf) {
  const dv = new DataView(buf);
  if (dv.getUint32(0, true) !== 0x31464e47) throw new Error("not a GNF1 frame");
  const hlen = dv.getUint32(4, true), off = 8 + hlen;
  return [JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, hlen))), off + (4 - off % 4) % 4];
}

/** A frame message (ArrayBuffer) -> {header fields..., layers: [{w, b, gw, gb, uw, ub}], maps, params}. */
export function decodeFrame(buf) {
  let [f, off] = frameHeader(buf);
  const floats = new Float32Array(buf, off, f.nf);
  off += 4 * f.nf;
  const sizes = f.sizes, layers = sizes.slice(1).map(() => ({}));
  let p = 0;
  for (const [prefix, present] of [["", true], ["g", f.has_g], ["u", f.has_u]]) {
    if (!present) continue;
    layers.forEach((entry, l) => {
      const rows = sizes[l + 1], cols = sizes[l], w = [];
      for (let r = 0; r < rows; r++) w.push(Array.from(floats.subarray(p + r * cols, p + (r + 1) * cols)));
      entry[prefix + "w"] = w; p += rows * cols;
      entry[prefix + "b"] = Array.from(floats.subarray(p, p + rows)); p += rows;
    });
  }
  const g = f.grid * f.grid, ng = f.ngrid * f.ngrid, bytes = new Uint8Array(buf, off);
  const maps = {output: bytes.subarray(0, g), neurons: []};
  let q = g;
  for (const n of sizes.slice(1, -1)) {
    const layer = [];
    for (let j = 0; j < n; j++) { layer.push(bytes.subarray(q, q + ng)); q += ng; }
    maps.neurons.push(layer);
  }
  // the parameters alone, in model.parameters() order (for a share link)
  let count = 0;
  for (let l = 1; l < sizes.length; l++) count += sizes[l] * sizes[l - 1] + sizes[l];
  f.params = floats.slice(0, count);
  f.layers = layers; f.maps = maps;
  return f;
}

/** A frame whose header lists its float32 arrays ({arrays: [[name, shape], ...]}, as the Images
 * page's do; frames.py's decode_arrays) -> the header's fields and data {name: {shape, values}}. */
export function decodeArrays(buf) {
  let [f, off] = frameHeader(buf);
  const floats = new Float32Array(buf, off, f.nf);
  f.data = {};
  let p = 0;
  for (const [name, shape] of f.arrays) {
    const n = shape.reduce((a, b) => a * b, 1);
    f.data[name] = {shape, values: floats.subarray(p, p + n)};
    p += n;
  }
  f.params = floats;
  return f;
}

/** Open the page's session (``path``: its WebSocket) and hand each message to ``handlers[type]``
 * (binary messages are frames, read by ``decode``). */
export function openSession(path, decode, handlers) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}${path}`);
  ws.binaryType = "arraybuffer";
  S.ws = ws;
  ws.onopen = () => { document.body.dataset.connected = "true"; };
  ws.onclose = () => {
    document.body.dataset.connected = "false";
    toast("error", "Lost the connection to the playground server. Reload the page to start a new session.");
  };
  ws.onmessage = (ev) => {
    let m;
    try { m = typeof ev.data === "string" ? JSON.parse(ev.data) : decode(ev.data); } catch (e) { return; }
    const h = handlers[m.type];
    if (h) h(m);
  };
}

// redraw on the next animation frame (app.js says what drawing is)
let drawer = () => {};
export function onDraw(fn) { drawer = fn; }

let scheduled = false;

export function schedule() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => { scheduled = false; drawer(); });
}

// ---------------------------------------------------------------- the layers, as last asked for

/** The hidden layers the page last asked for (clicks faster than the server's answer build on
 * each other, not on a state the server has already left). */
export function hiddenNow() {
  const sent = S.hiddenSent;
  return (sent && sent.id > (S.state.ack || 0) ? sent.h : S.state.config.hidden).slice();
}

export function sendHidden(h) {
  const id = send({type: "set", config: {hidden: h}});
  if (id !== null) S.hiddenSent = {id, h: h.slice()};
}
