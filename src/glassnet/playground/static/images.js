// glassnet playground, the Images page: draw a digit, shape a CNN, watch it learn.  The server
// trains and records; this page draws what it streams (binary frames, see images.py) and sends
// what the controls say (images_protocol.py).  No number shown here is computed here.
import {$, S, b64bytes, decodeArrays, onDraw, openSession, schedule, send, toast} from "./common.js";
import {buildLayers, closeStepper, drawLayers, gray, heat, maxAbs, openStepper, paintGrid, showPart} from "./cnnview.js";
import {bindSharePanel, bindTopBar, hiddenInShare, setPlaying, setupHash, sharedHandlers,
  syncDataControls} from "./classroom.js";
import {encodeWeights} from "./share.js";

window.playground = S;   // for the curious (and for the browser tests)
S.send = send;
S.page = "images";

/** Controls a teacher's link can hide: name -> selector. */
const HIDEABLE = {
  layers: "#ctl-layers, #ctl-channels", kernel_size: "#kernel_size", pooling: "#pooling", activation: "#activation",
  optimizer: "#optimizer", learning_rate: "#learning_rate", batch_size: "#batch_size", seed: "#seed",
  draw: "#add-drawing, #draw-label", export: "#export", share: "#share", play: "#play, #step, #reset",
};
const CHANNEL_CHOICES = [1, 2, 4, 6, 8, 12, 16];
// ---------------------------------------------------------------- connection

const HANDLERS = {
  ...sharedHandlers(HIDEABLE),
  state(m) {
    const old = S.state;
    S.state = m;
    document.body.dataset.rev = m.rev;
    S.testPixels = b64bytes(m.test.pixels);
    syncControls(m.config);
    if (!old || JSON.stringify(old.layers) !== JSON.stringify(m.layers)) { buildLayers(); closeStepper(); }
    $("draw-count").textContent = m.drawings.length ? `${m.drawings.length} drawing${m.drawings.length > 1 ? "s" : ""} added` : "";
    const hash = setupHash(m.config, null, S.hidden);
    if (location.hash !== hash) history.replaceState(null, "", hash);
    setPlaying(m.playing);
    schedule();
  },
  explain(m) { openStepper(m); },
};

// ---------------------------------------------------------------- controls

function syncControls(cfg) {
  syncDataControls(cfg);
  $("n_layers").value = String(cfg.channels.length);
  const box = $("channels");
  box.innerHTML = "";
  cfg.channels.forEach((c, l) => {
    const sel = document.createElement("select");
    sel.id = `channels-${l}`; sel.setAttribute("aria-label", `channels of conv layer ${l + 1}`);
    for (const n of new Set([...CHANNEL_CHOICES, c])) sel.add(new Option(String(n), String(n)));
    sel.value = String(c);
    sel.onchange = () => { const ch = cfg.channels.slice(); ch[l] = +sel.value; send({type: "set", config: {channels: ch}}); };
    box.appendChild(sel);
  });
}

function bindControls() {
  bindTopBar(send);
  $("n_layers").onchange = () => {
    const ch = S.state.config.channels.slice(), n = +$("n_layers").value;
    while (ch.length < n) ch.push(ch[ch.length - 1] || 8);
    send({type: "set", config: {channels: ch.slice(0, n)}});
  };
  bindSharePanel(HIDEABLE, updateShare, "Link copied: it opens this network, with these weights, for anyone on this playground.");
  $("step-close").onclick = closeStepper;
  for (const b of document.querySelectorAll("#stepper .phases button")) b.onclick = () => showPart(b.dataset.part);
  bindPad();
}

function updateShare() {
  if (!S.state) return;
  const hide = hiddenInShare();
  const w = S.drawn ? encodeWeights(S.drawn.data.params.values) : null;
  $("share-link").value = location.origin + location.pathname + setupHash(S.state.config, w, hide);
}

// ---------------------------------------------------------------- the drawing pad

const PAD_CELLS = 8;
let cursor = {x: 3, y: 3}, lastDraw = 0, inked = false;

function padPixels() {
  const pad = $("pad"), ctx = pad.getContext("2d"), n = pad.width, cell = n / PAD_CELLS;
  const d = ctx.getImageData(0, 0, n, n).data, out = new Array(64).fill(0);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const k = Math.floor(y / cell) * PAD_CELLS + Math.floor(x / cell);
    out[k] += d[(y * n + x) * 4 + 3] / 255;          // ink is opacity: a block's mean, as sklearn's 4×4 counts
  }
  return out.map((v) => Math.min(1, v / (cell * cell)));
}

function sendDrawing(force) {
  const now = performance.now();
  if (!force && now - lastDraw < 120) return;
  lastDraw = now;
  inked = padPixels().some((v) => v > 0);
  if (inked) send({type: "draw", pixels: padPixels()});
}

function drawCursor() {
  const pad = $("pad");
  pad.dataset.cursor = `${cursor.x},${cursor.y}`;
  $("pad-cursor").style.left = `${(cursor.x / PAD_CELLS) * 100}%`;
  $("pad-cursor").style.top = `${(cursor.y / PAD_CELLS) * 100}%`;
}

function bindPad() {
  const pad = $("pad"), ctx = pad.getContext("2d");
  const wrap = document.createElement("div"); wrap.className = "pad-wrap";
  pad.parentNode.insertBefore(wrap, pad); wrap.appendChild(pad);
  const cur = document.createElement("div"); cur.id = "pad-cursor"; wrap.appendChild(cur);
  ctx.lineCap = ctx.lineJoin = "round"; ctx.lineWidth = pad.width / 7;   // sklearn's strokes: about a block wide ctx.strokeStyle = "#000";
  let down = false, last = null;
  const at = (ev) => { const r = pad.getBoundingClientRect(); return [(ev.clientX - r.left) * pad.width / r.width, (ev.clientY - r.top) * pad.height / r.height]; };
  pad.addEventListener("pointerdown", (ev) => { down = true; last = at(ev); pad.setPointerCapture(ev.pointerId); ev.preventDefault();
    ctx.beginPath(); ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 7); ctx.fill(); sendDrawing(); });
  pad.addEventListener("pointermove", (ev) => {
    if (!down) return;
    const p = at(ev);
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p; sendDrawing();
  });
  const up = () => { if (down) { down = false; sendDrawing(true); } };
  pad.addEventListener("pointerup", up); pad.addEventListener("pointercancel", up);
  pad.addEventListener("keydown", (ev) => {
    const cell = pad.width / PAD_CELLS, moves = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]};
    if (moves[ev.key]) {
      cursor.x = Math.max(0, Math.min(7, cursor.x + moves[ev.key][0]));
      cursor.y = Math.max(0, Math.min(7, cursor.y + moves[ev.key][1]));
    } else if (ev.key === " " || ev.key === "Enter") {
      ctx.fillRect(cursor.x * cell, cursor.y * cell, cell, cell); sendDrawing(true);
    } else if (ev.key === "Delete" || ev.key === "Backspace") {
      ctx.clearRect(cursor.x * cell, cursor.y * cell, cell, cell); sendDrawing(true);
    } else if (ev.key === "c" || ev.key === "C") {
      clearPad();
    } else return;
    ev.preventDefault(); drawCursor();
  });
  pad.addEventListener("focus", () => pad.parentNode.classList.add("keys"));
  pad.addEventListener("blur", () => pad.parentNode.classList.remove("keys"));
  drawCursor();
  $("pad-clear").onclick = clearPad;
  $("add-drawing").onclick = () => {
    const px = padPixels();
    if (!px.some((v) => v > 0)) return toast("error", "Draw a digit first (the pad is empty).");
    send({type: "add_drawing", pixels: px, label: +$("draw-label").value});
  };
}

function clearPad() {
  const pad = $("pad");
  pad.getContext("2d").clearRect(0, 0, pad.width, pad.height);
  inked = false;
}

// ---------------------------------------------------------------- test results

function drawConfusion(f) {
  const t = $("confusion"), key = JSON.stringify(f.confusion);
  if (t.dataset.key === key) return;
  t.dataset.key = key;
  const max = Math.max(1, ...f.confusion.flat());
  let html = "<tr><th scope=\"col\">true\\pred</th>" + [...Array(10).keys()].map((j) => `<th scope="col">${j}</th>`).join("") + "</tr>";
  f.confusion.forEach((row, i) => {
    html += `<tr><th scope="row">${i}</th>` + row.map((n, j) => {
      const a = (n / max) * (i === j ? 0.6 : 1);
      const bg = i === j ? `rgba(8,119,189,${a})` : `rgba(245,147,34,${a})`;
      return `<td style="background:${bg}"><button data-i="${i}" data-j="${j}" aria-label="true ${i}, predicted ${j}: ${n}">${n}</button></td>`;
    }).join("") + "</tr>";
  });
  t.innerHTML = html;
  for (const b of t.querySelectorAll("button")) b.onclick = () => listDigits(+b.dataset.i, +b.dataset.j);
  if (S.listed) listDigits(S.listed[0], S.listed[1]);
}

function thumb(pixels, index) {
  const c = document.createElement("canvas"); c.width = c.height = 32;
  paintGrid(c, Array.from(pixels.subarray(index * 64, index * 64 + 64), (v) => v / 255), 8, 8, gray);
  return c;
}

function listDigits(i, j) {
  S.listed = [i, j];
  const box = $("wrong-list"), f = S.drawn;
  box.innerHTML = "";
  const ids = i === j ? S.state.test.labels.map((l, k) => k).filter((k) => S.state.test.labels[k] === i &&
    !f.wrong.some((w) => w[0] === k)).slice(0, 24) : f.wrong.filter((w) => S.state.test.labels[w[0]] === i && w[1] === j).map((w) => w[0]);
  const head = document.createElement("p"); head.className = "hint";
  head.textContent = i === j ? `Test digits ${i} classified right (first ${ids.length}):` : `${ids.length} test digit${ids.length === 1 ? "" : "s"} ${i} predicted as ${j}` + (ids.length ? " (click one to look inside):" : ".");
  box.appendChild(head);
  for (const k of ids) {
    const b = document.createElement("button");
    b.className = "thumb"; b.dataset.index = k; b.setAttribute("aria-label", `test digit ${k}, true ${S.state.test.labels[k]}`);
    b.appendChild(thumb(S.testPixels, k));
    b.onclick = () => { clearPad(); send({type: "select", split: "test", index: k}); };
    box.appendChild(b);
  }
}

// ---------------------------------------------------------------- drawing a frame

function draw() {
  const st = S.state, f = S.frame;
  if (!st || !f || f.rev < st.rev || f === S.drawn) { if (S.drawn && S.drawnLayers === null) { drawLayers(S.drawn); S.drawnLayers = S.drawn; } return; }
  S.drawn = f; S.framesDrawn = (S.framesDrawn || 0) + 1;
  $("epoch").textContent = f.epoch;
  $("stepcount").textContent = f.step;
  $("rate").textContent = f.playing ? `${Math.round(f.steps_per_s)} steps/s` : "paused";
  $("accuracy").textContent = `${(100 * f.test_accuracy).toFixed(1)} %`;
  $("test-loss").textContent = f.test_loss === null ? "NaN" : f.test_loss.toFixed(3);
  $("train-loss").textContent = f.train_loss === null ? (f.step ? "NaN" : "\u2013") : f.train_loss.toFixed(3);
  document.body.dataset.step = f.step;
  setPlaying(f.playing);
  paintGrid($("input-view"), f.data.input.values, 8, 8, gray);
  paintGrid($("saliency"), f.data.saliency.values, 8, 8, heat(maxAbs(f.data.saliency.values)));
  const cur = f.current;
  $("current-what").textContent = cur.split === "drawing" ? "your drawing" : `${cur.split} digit #${cur.index} (a ${cur.label})`;
  $("predicted").textContent = `${cur.predicted}` + (cur.label === null ? "" : cur.label === cur.predicted ? " \u2714" : ` \u2718 (it is a ${cur.label})`);
  document.body.dataset.predicted = cur.predicted;
  const probs = f.data.probs.values;
  $("probs").innerHTML = [...probs].map((p, k) => `<div class="prob${k === cur.predicted ? " top" : ""}"><span>${k}</span>` +
    `<span class="bar" style="width:${(100 * p).toFixed(1)}%"></span><span class="num" data-value="${p}">${(100 * p).toFixed(1)} %</span></div>`).join("");
  drawLayers(f); S.drawnLayers = f;
  drawConfusion(f);
  const now = performance.now();
  S.latency = S.latency || [];
  for (const id of Object.keys(S.sent)) {
    if (f.ack !== null && f.ack !== undefined && +id <= f.ack) { S.latency.push(now - S.sent[id]); delete S.sent[id]; }
  }
  if (S.latency.length > 200) S.latency.splice(0, S.latency.length - 200);
}

onDraw(draw);
bindControls();
openSession("/ws/images", decodeArrays, HANDLERS);
