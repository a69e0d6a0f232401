// The controls: each sends its change to the server, and shows what the server says the set-up is.
import {$, DATASET_LABELS, LOSS_LABELS, LUT, S, schedule, send, toByte, toast} from "./common.js";
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
  buildDatasets(cfg);
  document.body.classList.toggle("regression", cfg.problem === "regression");
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
  $("add-layer").onclick = () => {
    const h = S.state.config.hidden.slice();
    if (h.length >= S.hello.limits.max_layers) return toast("error", `At most ${S.hello.limits.max_layers} hidden layers.`);
    h.push(2); send({type: "set", config: {hidden: h}});
  };
  $("remove-layer").onclick = () => {
    const h = S.state.config.hidden.slice();
    if (!h.length) return;
    h.pop(); send({type: "set", config: {hidden: h}});
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
  const key = names.join() + "|" + cfg.dataset;
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
  const ctx = c.getContext("2d"), img = ctx.createImageData(52, 52);
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
    else v = Math.sin(px * 0.7) * Math.cos(py * 0.5);
    const b = toByte(v * 0.8), i = (py * 52 + px) * 4;
    img.data[i] = LUT[b * 3]; img.data[i + 1] = LUT[b * 3 + 1]; img.data[i + 2] = LUT[b * 3 + 2]; img.data[i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
