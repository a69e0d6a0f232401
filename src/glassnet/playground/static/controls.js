// The controls: each sends its change to the server, and shows what the server says the set-up is.
import {$, DATASET_LABELS, LOSS_LABELS, LUT, S, hiddenNow, schedule, send, sendHidden, toByte, toast} from "./common.js";
import {encodeWeights} from "./share.js";
import {hideControls, parseLink, setupHash} from "./classroom.js";
import {commitWeight, hideEditor} from "./network.js";
import {onPlotClick} from "./plot.js";
import {closeStepper, gotoPhase, gotoStep} from "./stepper.js";

// ---------------------------------------------------------------- controls

export function syncControls(cfg) {
  for (const el of document.querySelectorAll("[data-key]")) {
    const key = el.dataset.key, v = cfg[key];
    if (v === undefined || el === document.activeElement && el.type === "number") continue;
    if (el.type === "checkbox") el.checked = !!v;
    else if (el.tagName === "SELECT" && el.dataset.type === "float") {
      if (![...el.options].some((o) => parseFloat(o.value) === v)) {
        const o = document.createElement("option"); o.textContent = String(v); el.appendChild(o);
      }
      for (const o of el.options) o.selected = parseFloat(o.value) === v;
    } else el.value = String(v);
    const label = $(key + "-val");
    if (label) label.textContent = String(v);
  }
  // loss choices depend on the problem
  const loss = $("loss"), choices = S.hello.options.losses[cfg.problem];
  if ([...loss.options].map((o) => o.value).join() !== choices.join()) {
    loss.innerHTML = "";
    for (const c of choices) {
      const o = document.createElement("option"); o.value = c; o.textContent = LOSS_LABELS[c] || c; loss.appendChild(o);
    }
  }
  loss.value = cfg.loss;
  $("n-layers").textContent = cfg.hidden.length;
  if (cfg.dataset === "csv" && S.state) S.csvPoints = S.state.points.train.concat(S.state.points.test);
  buildDatasets(cfg);
  document.body.classList.toggle("regression", cfg.problem === "regression");
  $("legend-neg").textContent = cfg.problem === "regression" ? "\u22121 (target)" : "class 0";
  $("legend-pos").textContent = cfg.problem === "regression" ? "+1 (target)" : "class 1";
}

// ---------------------------------------------------------------- classroom links

/** Controls a link can hide (TF's "hide controls"): name -> what to hide. */
export const HIDEABLE = {
  learning_rate: "#learning_rate", activation: "#activation", regularization: "#regularization",
  reg_rate: "#reg_rate", problem: "#problem", optimizer: "#optimizer", loss: "#loss",
  dataset: "#datasets", train_ratio: "#train_ratio", noise: "#noise", batch_size: "#batch_size",
  n_points: "#n_points", seed: "#seed", upload: "#csv", preset: "#xor-step", features: "#network .node.input",
  layers: "#add-layer, #remove-layer, .layer-buttons", show_test: "#show_test", discretize: "#discretize",
  export: "#export", share: "#share", play: "#play, #step, #reset",
};

/** A link's fragment -> {fields (raw strings), weights, hide}; unknown hide names get a message. */
export function linkFields(hash) {
  return parseLink(hash, HIDEABLE);
}

export function applyHidden(names) {
  S.hidden = names.slice();
  hideControls(names, HIDEABLE);
}

/** The link that opens this network as it is now (set-up, weights, hidden controls). */
export function shareLink(hide) {
  const skip = (k, v) => k === "dataset" && (v === "csv" || v === "xor_table");
  return location.origin + location.pathname +
    setupHash(S.state.config, S.drawn ? encodeWeights(S.drawn.params) : null, hide, skip);
}

function buildSharePanel() {
  const box = $("share-hide");
  for (const name of Object.keys(HIDEABLE)) {
    const label = document.createElement("label");
    const c = document.createElement("input"); c.type = "checkbox"; c.value = name;
    c.onchange = updateShare;
    label.append(c, " " + name.replace("_", " "));
    box.appendChild(label);
  }
}

function updateShare() {
  const hide = [...document.querySelectorAll("#share-hide input:checked")].map((c) => c.value);
  $("share-link").value = shareLink(hide);
}

function readControl(el) {
  if (el.type === "checkbox") return el.checked;
  if (el.dataset.type === "float") return parseFloat(el.value);
  if (el.dataset.type === "int") return parseInt(el.value, 10);
  return el.value;
}

export function bindControls() {
  for (const el of document.querySelectorAll("[data-key]")) {
    const key = el.dataset.key;
    const live = el.type === "range";
    el.addEventListener(live ? "input" : "change", () => {
      const v = readControl(el);
      const label = $(key + "-val");
      if (label) label.textContent = String(v);
      if (el.type === "number" && !Number.isFinite(v)) return;
      if (key === "show_test" || key === "discretize") {   // drawn here at once; kept by the server too
        S.state.config[key] = v; schedule();
      }
      send({type: "set", config: {[key]: v}});
    });
  }
  $("play").onclick = () => send({type: S.playing ? "pause" : "play"});
  $("step").onclick = () => send({type: "step", n: 1});
  $("reset").onclick = () => send({type: "reset"});
  $("regenerate").onclick = () => send({type: "regenerate"});
  $("xor-step").onclick = () => send({type: "preset", name: "xor_step"});
  $("export").onclick = () => send({type: "export"});
  buildSharePanel();
  $("share").onclick = () => {
    const panel = $("share-panel");
    panel.hidden = !panel.hidden;
    if (!panel.hidden) { send({type: "pause"}); setTimeout(updateShare, 200); }
  };
  $("share-copy").onclick = () => {
    updateShare();
    $("share-link").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("share-link").value).catch(() => {});
    toast("notice", "Link copied: it opens this network, with these weights, for anyone on this playground.");
  };
  $("add-layer").onclick = () => {
    const h = hiddenNow();
    if (h.length >= S.hello.limits.max_layers) return toast("error", `At most ${S.hello.limits.max_layers} hidden layers.`);
    h.push(2); sendHidden(h);
  };
  $("remove-layer").onclick = () => {
    const h = hiddenNow();
    if (!h.length) return;
    h.pop(); sendHidden(h);
  };
  $("csv").addEventListener("change", (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    if (file.size > S.hello.limits.max_upload_bytes) {
      toast("error", `${file.name} is ${Math.round(file.size / 1024)} KiB; the limit is ${S.hello.limits.max_upload_bytes / 1024} KiB.`);
      ev.target.value = ""; return;
    }
    file.text().then((text) => { send({type: "upload_csv", name: file.name, text}); ev.target.value = ""; });
  });
  $("output").addEventListener("click", onPlotClick);
  for (const b of document.querySelectorAll("#stepper .phases button")) b.onclick = () => gotoPhase(b.dataset.phase);
  $("step-first").onclick = () => gotoStep(0);
  $("step-prev").onclick = () => gotoStep(S.stepIndex - 1);
  $("step-next").onclick = () => gotoStep(S.stepIndex + 1);
  $("step-last").onclick = () => gotoStep(S.explain ? S.explain.steps.length - 1 : 0);
  $("step-close").onclick = closeStepper;
  $("weight-editor").addEventListener("submit", (ev) => { ev.preventDefault(); commitWeight(); });
  $("weight-input").addEventListener("keydown", (ev) => { if (ev.key === "Escape") hideEditor(); });
  $("weight-input").addEventListener("blur", () => setTimeout(hideEditor, 150));
  document.addEventListener("keydown", (ev) => {
    if (!S.explain || ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
    if (ev.key === "ArrowRight") gotoStep(S.stepIndex + 1);
    if (ev.key === "ArrowLeft") gotoStep(S.stepIndex - 1);
  });
}

export function setPlaying(p) {
  S.playing = !!p;
  const b = $("play");
  b.classList.toggle("playing", S.playing);
  b.innerHTML = S.playing ? "&#10074;&#10074;" : "&#9654;";
  b.setAttribute("aria-label", S.playing ? "pause" : "play");
  document.body.dataset.playing = String(S.playing);
}

// data-set buttons with small pictures

// data-set buttons with small pictures

function buildDatasets(cfg) {
  const box = $("datasets");
  const names = S.hello.options.datasets[cfg.problem].slice();
  if (S.state && S.state.upload_name) names.push("csv");
  if (cfg.dataset === "xor_table") names.push("xor_table");
  const key = names.join() + "|" + cfg.dataset + "|" + (S.state && S.state.upload_name);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.innerHTML = "";
  for (const name of names) {
    const b = document.createElement("button");
    b.dataset.dataset = name;
    b.title = DATASET_LABELS[name] || name;
    b.className = name === cfg.dataset ? "selected" : "";
    const c = document.createElement("canvas"); c.width = c.height = 52;
    thumbnail(c, name);
    const s = document.createElement("span"); s.textContent = DATASET_LABELS[name] || name;
    b.append(c, s);
    b.onclick = () => send({type: "set", config: {dataset: name}});
    box.appendChild(b);
  }
}

function thumbnail(c, name) {
  const ctx = c.getContext("2d");
  if (name === "csv" && S.csvPoints) return drawPoints(ctx, S.csvPoints);
  const img = ctx.createImageData(52, 52);
  for (let py = 0; py < 52; py++) for (let px = 0; px < 52; px++) {
    const x = (px / 51) * 2 - 1, y = 1 - (py / 51) * 2;
    let v = 0;
    const r = Math.hypot(x, y), a = Math.atan2(y, x);
    if (name === "circle") v = r < 0.55 ? 1 : -1;
    else if (name === "xor" || name === "xor_table") v = x * y >= 0 ? 1 : -1;
    else if (name === "gaussian") v = Math.hypot(x - .45, y - .45) < .35 ? 1 : Math.hypot(x + .45, y + .45) < .35 ? -1 : 0;
    else if (name === "spiral") v = Math.sin(a + r * 9) > 0 ? 1 : -1;
    else if (name === "moons") v = (Math.abs(Math.hypot(x + .25, y + .1) - .5) < .15 && y > -.1) ? 1 : (Math.abs(Math.hypot(x - .25, y - .1) - .5) < .15 && y < .1) ? -1 : 0;
    else if (name === "plane") v = (x + y) / 2;
    else if (name === "bump") v = 2 * Math.exp(-r * r * 3) - 1;
    else if (name === "multigauss") {
      for (const [cx, cy, sg] of [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]) {
        const l = sg * Math.max(0, 1 - Math.hypot(x * 6 - cx, y * 6 - cy) / 2);
        if (Math.abs(l) > Math.abs(v)) v = l;
      }
    }
    const b = toByte(v * 0.8), i = (py * 52 + px) * 4;
    img.data[i] = LUT[b * 3]; img.data[i + 1] = LUT[b * 3 + 1]; img.data[i + 2] = LUT[b * 3 + 2]; img.data[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The uploaded CSV's own points, as a thumbnail (the data, not a made-up pattern). */
function drawPoints(ctx, pts) {
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, 52, 52);
  let lo = Infinity, hi = -Infinity, ylo = Infinity, yhi = -Infinity;
  for (const [x, y, l] of pts) { lo = Math.min(lo, x, y); hi = Math.max(hi, x, y); ylo = Math.min(ylo, l); yhi = Math.max(yhi, l); }
  const span = (hi - lo) || 1;
  for (const [x, y, l] of pts) {
    const t = yhi > ylo ? ((l - ylo) / (yhi - ylo)) * 2 - 1 : 0;
    ctx.fillStyle = `rgb(${LUT[toByte(t) * 3]},${LUT[toByte(t) * 3 + 1]},${LUT[toByte(t) * 3 + 2]})`;
    ctx.fillRect(2 + (x - lo) / span * 46, 2 + (hi - y) / span * 46, 3, 3);
  }
}
