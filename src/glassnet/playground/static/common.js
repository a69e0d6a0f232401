// Shared by the page's modules: colours, the state, sending, messages, heat maps.

// ---------------------------------------------------------------- colours
// uint8 0..255 stands for -1..+1: orange (negative), light grey (zero), blue (positive).
const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
export const LUT = new Uint8ClampedArray(256 * 3);
for (let v = 0; v < 256; v++) {
  const t = v / 127.5 - 1, end = t < 0 ? NEG : POS, a = Math.abs(t);
  for (let c = 0; c < 3; c++) LUT[v * 3 + c] = Math.round(MID[c] + (end[c] - MID[c]) * a);
}
export const LIGHT = LUT.map((c) => Math.round(c * 0.7 + 255 * 0.3));   // the output plot: points stand out
export const css = (v) => `rgb(${LUT[v * 3]},${LUT[v * 3 + 1]},${LUT[v * 3 + 2]})`;
export const toByte = (x) => Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));

export const $ = (id) => document.getElementById(id);
export const FEATURE_LABELS = {"x1": "X\u2081", "x2": "X\u2082", "x1^2": "X\u2081\u00B2", "x2^2": "X\u2082\u00B2",
  "x1x2": "X\u2081X\u2082", "sin(x1)": "sin(X\u2081)", "sin(x2)": "sin(X\u2082)"};
export const DATASET_LABELS = {circle: "circle", xor: "XOR", gaussian: "Gaussian", spiral: "spiral", moons: "moons",
  plane: "plane", bump: "bump", csv: "your CSV", xor_table: "XOR table"};
export const LOSS_LABELS = {bce: "Binary cross-entropy", mse: "Mean squared error", l1: "Mean absolute error"};

// ---------------------------------------------------------------- state

export const S = {
  ws: null, hello: null, state: null, frame: null, drawn: null, history: [], msgId: 0,
  sent: {}, latency: [], selected: null, explain: null, stepIndex: 0, hover: null,
  framesReceived: 0, framesDrawn: 0, pendingHash: null,
};

export function send(obj) {
  if (!S.ws || S.ws.readyState !== 1) return null;
  obj.id = ++S.msgId;
  S.sent[obj.id] = performance.now();
  S.ws.send(JSON.stringify(obj));
  return obj.id;
}

export function toast(kind, text) {
  const div = document.createElement("div");
  div.className = "msg " + kind;
  div.textContent = text;
  $("messages").appendChild(div);
  setTimeout(() => div.remove(), kind === "error" ? 8000 : 5000);
  document.body.dataset["last" + kind[0].toUpperCase() + kind.slice(1)] = text;
}

export function b64bytes(s) {
  const bin = atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------- heat maps

export const GRID = 64;

const scratch = document.createElement("canvas");
scratch.width = scratch.height = GRID;

const scratchCtx = scratch.getContext("2d");

const scratchImg = scratchCtx.createImageData(GRID, GRID);

export function paintMap(canvas, b64, discretize, light) {
  const bytes = b64bytes(b64), d = scratchImg.data, lut = light ? LIGHT : LUT;
  for (let i = 0; i < bytes.length; i++) {
    let v = bytes[i];
    if (discretize) v = v >= 128 ? 230 : 25;
    d[i * 4] = lut[v * 3]; d[i * 4 + 1] = lut[v * 3 + 1]; d[i * 4 + 2] = lut[v * 3 + 2]; d[i * 4 + 3] = 255;
  }
  scratchCtx.putImageData(scratchImg, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
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
