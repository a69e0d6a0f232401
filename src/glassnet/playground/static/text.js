// glassnet playground, the Text page: a text, its characters, a tiny GPT trained on the server.
// The server trains and records; this page draws what it streams (binary frames, see text.py) and
// sends what the controls say (text_protocol.py).  No number shown here is computed here.
import {$, S, decodeArrays, onDraw, openSession, schedule, send, toast} from "./common.js";
import {esc, fmt, num} from "./cnnview.js";
import {bindSharePanel, bindTopBar, hiddenInShare, setPlaying, setupHash, sharedHandlers,
  syncDataControls} from "./classroom.js";
import {encodeWeights} from "./share.js";

window.playground = S;   // for the curious (and for the browser tests)
S.send = send;
S.page = "text";

/** Controls a teacher's link can hide: name -> selector. */
const HIDEABLE = {
  model: "#model", n_layer: "#n_layer", n_head: "#n_head", n_embd: "#n_embd", block_size: "#block_size",
  learning_rate: "#learning_rate", batch_size: "#batch_size", seed: "#seed", temperature: "#temperature",
  text: "#text-use, #text-default", export: "#export", share: "#share", play: "#play, #step, #reset",
};
const MASK_RGB = [200, 200, 200];    // a masked weight: flat grey (a weight of 0 is white)
const CELL = 8;                      // screen pixels per attention weight (a 32-character window: 256 px)
const show = (ch) => (ch === "\n" ? "\u23CE" : ch === " " ? "\u2423" : ch === "\t" ? "\u21E5" : ch);

// ---------------------------------------------------------------- connection

const HANDLERS = {
  ...sharedHandlers(HIDEABLE),
  text(m) {
    S.text = m.text;
    S.textLink = m;                                   // its link_text (null: too long for a link)
    const box = $("text-box");
    box.value = m.text;
    S.edited = false;
    textCount();
    if (m.cut) toast("notice", `Your text had ${m.cut.toLocaleString()} characters; the Text page keeps the first ${S.hello.limits.max_chars.toLocaleString()}.`, 15000);
  },
  state(m) {
    const old = S.state;
    S.state = m;
    document.body.dataset.rev = m.rev;
    document.body.dataset.model = m.config.model;
    syncControls(m.config);
    S.history = m.history.slice();
    $("vocab-count").textContent = `${m.vocab.length} characters; ${m.n_chars.toLocaleString()} in the text (${m.n_train.toLocaleString()} train, the rest val); ${m.n_params.toLocaleString()} parameters.`;
    $("vocab").innerHTML = m.vocab.map((c) => `<span title="${esc(JSON.stringify(c))}">${esc(show(c))}</span>`).join("");
    if (!old || old.config.n_layer !== m.config.n_layer || old.config.n_head !== m.config.n_head || old.T !== m.T ||
        old.config.model !== m.config.model) { buildHeads(); closeStepper(); }
    const hash = setupHash(m.config, null, S.hidden);
    if (location.hash !== hash) history.replaceState(null, "", hash);
    setPlaying(m.playing);
    schedule();
  },
  explain(m) { openStepper(m); },
};

/** A frame, with the arrays it left out because the page has them (its header's ``kept``: the
 * attention maps go out only when a new recording changed them) taken from the frame before. */
let held = {};
function decodeFrame(buf) {
  const f = decodeArrays(buf), data = {};
  for (const name of f.kept || []) if (held[name]) data[name] = held[name];
  if ((f.kept || []).includes("attention")) S.framesKeptMaps = (S.framesKeptMaps || 0) + 1;
  Object.assign(data, f.data);
  f.data = held = data;
  return f;
}

// ---------------------------------------------------------------- controls

function syncControls(cfg) {
  syncDataControls(cfg);
  if (document.activeElement !== $("temperature")) $("temperature").value = cfg.temperature;
  $("temperature-value").textContent = cfg.temperature;
  for (const el of document.querySelectorAll(".gpt-only")) el.classList.toggle("off", cfg.model !== "gpt");
}

function bindControls() {
  bindTopBar(send, (key, v) => {
    const patch = {[key]: v}, cfg = S.state.config;
    if (key === "n_head" && cfg.n_embd % v) patch.n_embd = Math.max(v, v * Math.round(cfg.n_embd / v));   // channels are split among the heads
    else if (key === "n_embd" && v % cfg.n_head) patch.n_head = [8, 4, 2, 1].find((h) => v % h === 0 && h <= cfg.n_head) || 1;
    return patch;
  });
  let tTimer = null;
  $("temperature").addEventListener("input", () => {
    $("temperature-value").textContent = $("temperature").value;
    clearTimeout(tTimer);
    tTimer = setTimeout(() => send({type: "set", config: {temperature: parseFloat($("temperature").value)}}), 120);
  });
  $("sample-new").onclick = () => send({type: "sample"});
  bindSharePanel(HIDEABLE, updateShare, "Link copied: it opens this set-up for anyone on this playground.");
  $("step-close").onclick = closeStepper;
  for (const b of document.querySelectorAll("#stepper .phases button")) b.onclick = () => showPart(b.dataset.part);
  bindText();
}

/** The share link: the set-up, a pasted text (compressed, when it fits: else the link says it was
 * left out, and the page opening it says so), the weights when they fit (and the text came along). */
function updateShare() {
  if (!S.state) return;
  const hide = hiddenInShare(), t = S.textLink;
  const omitted = t && t.custom && !t.link_text;
  const params = !omitted && S.drawn && S.drawn.data.params;
  const w = params ? encodeWeights(params.values) : null;
  let say = params ? ", trained weights included" : omitted ? "" : ` (the ${S.state.n_params.toLocaleString()} weights are too many for a link: it starts from the seed)`;
  let extra = "";
  if (t && t.custom && t.link_text) {
    extra = "&text=" + t.link_text;
    say = `, your text included (${t.link_text_bytes.toLocaleString()} bytes compressed)` + say;
  } else if (omitted) {
    extra = "&text_omitted=" + t.text.length;
    say = ` — your text was NOT included: ${t.text.length.toLocaleString()} characters compress to ${t.link_text_bytes.toLocaleString()} bytes, over a link's ${t.link_text_limit.toLocaleString()} (whoever opens it trains on the default text, without your weights, and is told so)`;
  }
  $("share-weights").textContent = say;
  $("share-link").value = location.origin + location.pathname + setupHash(S.state.config, w, hide) + extra;
}

// ---------------------------------------------------------------- the text box and the cursor

function textCount() {
  const box = $("text-box"), n = box.value.length, lim = S.hello ? S.hello.limits : {max_chars: 50000, min_chars: 200};
  S.edited = S.text !== undefined && box.value !== S.text;
  let msg = `${n.toLocaleString()} characters`;
  if (n > lim.max_chars) msg += ` \u2014 over the limit of ${lim.max_chars.toLocaleString()}: only the first ${lim.max_chars.toLocaleString()} will be used`;
  else if (n < lim.min_chars) msg += ` \u2014 too short: the Text page needs at least ${lim.min_chars}`;
  if (S.edited) msg += " \u2014 edited: press \u201CTrain on this text\u201D to train on it";
  $("text-count").textContent = msg;
  $("text-count").classList.toggle("over", n > lim.max_chars || n < lim.min_chars);
}

let lastCursor = -1, cursorTimer = null;
function sendCursor() {
  const box = $("text-box");
  if (S.edited) return;                               // the server's text is not what the box shows
  const pos = box.selectionStart;
  if (pos === lastCursor) return;
  lastCursor = pos;
  clearTimeout(cursorTimer);
  cursorTimer = setTimeout(() => send({type: "cursor", position: pos}), 60);
}

function bindText() {
  const box = $("text-box");
  for (const ev of ["click", "keyup", "select", "focus"]) box.addEventListener(ev, sendCursor);
  box.addEventListener("input", textCount);
  $("text-use").onclick = () => {
    const lim = S.hello.limits, text = box.value;
    if (text.length < lim.min_chars) return toast("error", `The text has ${text.length} characters; the Text page needs at least ${lim.min_chars}.`);
    send({type: "text", text});
  };
  $("text-default").onclick = () => send({type: "text", text: null});
}

// ---------------------------------------------------------------- attention maps

function buildHeads() {
  const box = $("heads"), st = S.state, cfg = st.config;
  box.innerHTML = "";
  S.cell = null; S.drawnMaps = null;
  const gpt = cfg.model === "gpt";
  $("bigram-note").hidden = gpt;
  if (!gpt) return;
  const T = st.T;
  for (let l = 0; l < cfg.n_layer; l++) {
    const row = document.createElement("div");
    row.className = "layer-row";
    row.innerHTML = `<div class="what">layer ${l + 1}</div>`;
    for (let h = 0; h < cfg.n_head; h++) {
      const fig = document.createElement("figure"), c = document.createElement("canvas");
      c.width = c.height = T * CELL;
      c.className = "attn"; c.dataset.layer = l; c.dataset.head = h; c.tabIndex = 0; c.setAttribute("role", "img");
      c.setAttribute("aria-label", `layer ${l + 1}, head ${h + 1}: attention weights of the window (rows read, columns are read); arrows move, Enter steps through a weight`);
      const cap = document.createElement("figcaption"); cap.textContent = `head ${h + 1}`;
      fig.append(c, cap);
      row.appendChild(fig);
      bindMap(c, l, h);
    }
    box.appendChild(row);
  }
}

/** What the page shows at weight [i, j] of head (l, h): {kind: "masked"|"weight", value}. */
S.cellShown = (l, h, i, j) => {
  const f = S.drawn, a = f && f.data.attention;
  if (!a) return null;
  const [, H, T] = a.shape, v = a.values[((l * H + h) * T + i) * T + j];
  return v < 0 ? {kind: "masked", value: null} : {kind: "weight", value: v};
};

function readout(l, h, i, j) {
  const f = S.drawn; if (!f || !f.data.attention) return;
  const chars = f.window.ids.map((k) => S.state.vocab[k]), c = S.cellShown(l, h, i, j);
  $("cell-readout").textContent = `layer ${l + 1}, head ${h + 1}: position ${i} (${show(chars[i])}) reading position ${j} (${show(chars[j])}): ` +
    (c.kind === "masked" ? "masked (the future: never read)" : `weight ${fmt(c.value)}`);
  document.body.dataset.readout = c.kind === "masked" ? "masked" : String(c.value);
}

function bindMap(c, l, h) {
  const at = (ev) => { const r = c.getBoundingClientRect(), T = S.state.T;
    const j = Math.floor((ev.clientX - r.left) / r.width * T), i = Math.floor((ev.clientY - r.top) / r.height * T);
    return i >= 0 && j >= 0 && i < T && j < T ? [i, j] : null; };
  c.addEventListener("mousemove", (ev) => { const p = at(ev); if (p) readout(l, h, ...p); });
  c.addEventListener("click", (ev) => { const p = at(ev); if (p) explainWeight(l, h, ...p); });
  c.addEventListener("keydown", (ev) => {
    const T = S.state.T, s = S.cell && S.cell.l === l && S.cell.h === h ? S.cell : {l, h, i: 0, j: 0};
    const moves = {ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0]};
    if (moves[ev.key]) {
      S.cell = {l, h, i: Math.max(0, Math.min(T - 1, s.i + moves[ev.key][0])), j: Math.max(0, Math.min(T - 1, s.j + moves[ev.key][1]))};
      readout(l, h, S.cell.i, S.cell.j);
      S.drawnMaps = null; schedule();
    } else if (ev.key === "Enter" || ev.key === " ") explainWeight(l, h, s.i, s.j);
    else return;
    ev.preventDefault();
  });
}

function explainWeight(l, h, i, j) {
  S.cell = {l, h, i, j}; S.drawnMaps = null;
  send({type: "explain", layer: l, head: h, i, j});
  schedule();
}

function drawMaps(f) {
  const a = f.data.attention;
  if (!a) return;
  const [L, H, T] = a.shape;
  for (const c of document.querySelectorAll("#heads canvas.attn")) {
    const l = +c.dataset.layer, h = +c.dataset.head;
    if (l >= L || h >= H || c.width !== T * CELL) continue;
    const ctx = c.getContext("2d"), img = ctx.createImageData(T, T), d = img.data;
    for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
      const v = a.values[((l * H + h) * T + i) * T + j], q = (i * T + j) * 4;
      if (v < 0) { d[q] = MASK_RGB[0]; d[q + 1] = MASK_RGB[1]; d[q + 2] = MASK_RGB[2]; }
      else { const t = Math.min(1, v); d[q] = Math.round(255 - 247 * t); d[q + 1] = Math.round(255 - 136 * t); d[q + 2] = Math.round(255 - 66 * t); }
      d[q + 3] = 255;
    }
    const tmp = document.createElement("canvas"); tmp.width = tmp.height = T;
    tmp.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, c.width, c.height);
    // hatch the masked cells (a line in each masked cell's lower-left corner, never at its centre)
    ctx.strokeStyle = "rgba(120,120,120,.8)"; ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) {
      if (a.values[((l * H + h) * T + i) * T + j] >= 0) continue;
      ctx.moveTo(j * CELL + 0.5, i * CELL + CELL - 2.5); ctx.lineTo(j * CELL + 2.5, i * CELL + CELL - 0.5);
    }
    ctx.stroke();
    if (S.cell && S.cell.l === l && S.cell.h === h) {
      ctx.strokeStyle = "#e91e63"; ctx.lineWidth = 2;
      ctx.strokeRect(S.cell.j * CELL + 1, S.cell.i * CELL + 1, CELL - 2, CELL - 2);
    }
  }
}

// ---------------------------------------------------------------- the step-through

function openStepper(m) {
  S.explain = m;
  $("stepper-body").hidden = false; $("stepper-hint").hidden = true;
  const q = m.chars[m.i], k = m.chars[m.j];
  $("step-head").innerHTML = `<b>${esc(m.name)}, weight [${m.i}, ${m.j}]</b>: position ${m.i} (<span class="mono">${esc(show(q))}</span>) reading position ${m.j} ` +
    `(<span class="mono">${esc(show(k))}</span>) of the window <span class="mono">${esc(m.chars.map(show).join(""))}</span>; loss of the step ${num(m.loss)}. ` +
    `One step recorded on copies of the model and optimizer (your session is not changed).`;
  $("step-text").textContent = m.derivation.text;
  showPart(S.part || "scores");
  if (window.innerWidth < 1100) $("stepper").scrollIntoView({block: "nearest"});
  document.body.dataset.explained = `${m.layer},${m.head},${m.i},${m.j}`;
}

function closeStepper() {
  S.explain = null;
  $("stepper-body").hidden = true; $("stepper-hint").hidden = false;
}

function showPart(part) {
  const m = S.explain; if (!m) return;
  S.part = part;
  for (const b of document.querySelectorAll("#stepper .phases button")) b.classList.toggle("current", b.dataset.part === part);
  const view = $("step-view"), r = m.row;
  view.dataset.part = part;
  const keyCell = (j) => `<td class="mono">${j} ${esc(show(m.chars[j]))}</td>`;
  const sel = (j) => (j === m.j ? ' class="sel"' : "");
  if (part === "scores") {
    view.innerHTML = `<h3>The scores of row ${m.i}: s = scale \u00B7 q\u00B7k</h3><div class="eq">s<sub>${m.i}j</sub> = q<sub>${m.i}</sub>\u00B7k<sub>j</sub> \u00D7 ` +
      `1/\u221A${m.head_size} = q\u00B7k \u00D7 ${num(m.scale, "the scale")}</div><table class="row"><tr><th>key j</th><th>q\u00B7k</th><th>\u00D7 scale</th><th>score s (as the softmax read it)</th></tr>` +
      r.qk.map((v, j) => `<tr${sel(j)}>${keyCell(j)}<td>${num(v)}</td><td>${r.masked[j] ? "" : num(v * m.scale)}</td>` +
        `<td>${r.masked[j] ? '<span class="masked">\u2212\u221E masked</span>' : num(r.scores[j])}</td></tr>`).join("") + "</table>" +
      `<p class="note">q and k are the recorded outputs of the head's query and key layers; keys after ${m.i} are masked (masked_fill with \u2212\u221E): a character may not read the future.</p>`;
  } else if (part === "softmax") {
    view.innerHTML = `<h3>Mask and softmax over row ${m.i}</h3><div class="eq">p<sub>${m.i}j</sub> = exp(s<sub>${m.i}j</sub> \u2212 max) / \u03A3<sub>k visible</sub> exp(s<sub>${m.i}k</sub> \u2212 max)</div>` +
      `<table class="row"><tr><th>key j</th><th>masked</th><th>score</th><th>weight p</th></tr>` +
      r.probs.map((p, j) => `<tr${sel(j)}>${keyCell(j)}<td>${r.masked[j] ? "yes" : ""}</td><td>${r.masked[j] ? "\u2212\u221E" : num(r.scores[j])}</td>` +
        `<td>${r.masked[j] ? '<span class="masked">masked (0)</span>' : num(p)}</td></tr>`).join("") + "</table>" +
      derivationLines(m.derivation, (l, k, all) => k < all.findIndex((x) => x.math.startsWith("\u2202L/\u2202p")) ||
        !all.some((x) => x.math.startsWith("\u2202L/\u2202p")));
  } else if (part === "exact") {
    view.innerHTML = exactView(m);
  } else {
    const d = m.derivation;
    view.innerHTML = `<h3>Backward through the softmax: \u2202L/\u2202s<sub>${m.i}${m.j}</sub></h3><div class="eq headline">${esc(d.headline)}</div><p class="note">${esc(d.convention)}</p>` +
      derivationLines(d, () => true) +
      (r.grad_probs ? `<table class="row"><tr><th>key j</th><th>p</th><th>\u2202L/\u2202p</th><th>\u2202L/\u2202s (recorded)</th></tr>` +
        r.probs.map((p, j) => `<tr${sel(j)}>${keyCell(j)}<td>${r.masked[j] ? "masked" : num(p)}</td><td>${num(r.grad_probs[j])}</td><td>${num(r.grad_scores[j])}</td></tr>`).join("") + "</table>" : "") +
      `<p class="note">${d.agrees ? "Every number agrees with the recording." : "A number DISAGREES with the recording."} The same derivation as <code>step.derivation("${esc(m.entry)}")</code>.</p>`;
  }
}

/** The weight's numbers redone in exact rational arithmetic (``step.attention_exact``) beside the
 * recorded floats, and how many significant digits they share. */
function exactView(m) {
  const e = m.exact, r = m.row;
  if (!e || e.error) return `<p class="note">The exact check could not be done: ${esc(e ? e.error : "not sent")}</p>`;
  const agree = (d) => (d === null ? "equal, exactly" : `${d} digits`);
  const keyCell = (j) => `<td class="mono">${j} ${esc(show(m.chars[j]))}</td>`;
  const s = e.score;
  const score = s.masked
    ? `<tr class="sel"><td>score s<sub>${m.i}${m.j}</sub></td><td class="mono">${esc(s.exact)}</td><td><span class="masked">−∞ masked</span></td><td>(the mask replaced it)</td></tr>`
    : `<tr class="sel"><td>score s<sub>${m.i}${m.j}</sub></td><td class="mono">${esc(s.exact)}</td><td>${num(s.recorded)}</td><td data-digits="${s.digits}">${agree(s.digits)}</td></tr>`;
  return `<h3>Exact arithmetic: the recorded floats against rational numbers</h3>` +
    `<p class="note">exp is not rational, so the softmax itself cannot be redone exactly; everything around it can. From the recorded q, k, p and ∂L/∂p, <code>glassnet.exact</code> recomputes with fractions (shown to 20 digits): the score, and ∂L/∂s of the row through the softmax's Jacobian. ` +
    `float32 keeps about 7 significant digits.</p>` +
    `<table class="row exact"><tr><th></th><th>exact</th><th>recorded (float32)</th><th>agree to</th></tr>${score}</table>` +
    `<p class="note">The scale 1/√${m.head_size} is ${e.scale_exact ? `exactly ${e.scale}` : "irrational: the recorded float is used, exactly"}. ` +
    `(diag(p) − p pᵀ) ∂L/∂p ${e.formula_equal ? "equals" : "does NOT equal"} p ⊙ (∂L/∂p − Σ p ∂L/∂p) exactly. ` +
    `Σ<sub>j</sub> p<sub>${m.i}j</sub> of the recorded floats is ${esc(e.sum_p.exact)} (1 up to ${num(e.sum_p.difference)}).` +
    (e.grad_q ? ` ∂L/∂q<sub>${m.i}</sub> by exact autograd differs from the recorded by at most ${num(e.grad_q.max_difference)}${e.grad_q.min_digits === null ? "" : ` (${e.grad_q.min_digits} digits or more)`}.` : "") + `</p>` +
    `<table class="row exact"><tr><th>key j</th><th>∂L/∂s exact</th><th>recorded</th><th>agree to</th></tr>` +
    e.grad_scores.map((g, j) => `<tr${j === m.j ? ' class="sel"' : ""}>${keyCell(j)}<td class="mono">${r.masked[j] ? "0 (masked)" : esc(g.exact)}</td><td>${num(g.recorded)}</td><td data-digits="${g.digits}">${agree(g.digits)}</td></tr>`).join("") +
    `</table><p class="note">The same check as <code>${esc(e.call)}</code>.</p>`;
}

function derivationLines(d, keep) {
  return d.lines.filter(keep).map((l) => `<div class="eq">${esc(l.math)}${l.note ? ` <span class="note">(${esc(l.note)})</span>` : ""}</div>`).join("");
}

// ---------------------------------------------------------------- loss, next character, sample

function drawCurve(f) {
  const c = $("curve"), ctx = c.getContext("2d"), W = c.width, Hh = c.height, hist = S.history;
  if (!hist.length || hist[hist.length - 1][0] !== f.evaluated_step) hist.push([f.evaluated_step, f.train_loss, f.val_loss]);
  if (hist.length > 400) S.history = hist.filter((_, k) => k % 2 === 0);
  ctx.clearRect(0, 0, W, Hh);
  const vals = S.history.flatMap((h) => [h[1], h[2]]).filter((v) => v !== null && Number.isFinite(v));
  const top = Math.max(f.floor * 1.5, ...vals.slice(-200)), bottom = 0;
  const x0 = S.history.length ? S.history[0][0] : 0, x1 = Math.max(x0 + 1, f.step);
  const X = (s) => 4 + (W - 8) * (s - x0) / (x1 - x0), Y = (v) => Hh - 4 - (Hh - 8) * (Math.min(v, top) - bottom) / (top - bottom);
  ctx.setLineDash([5, 4]); ctx.strokeStyle = "#555"; ctx.beginPath(); ctx.moveTo(0, Y(f.floor)); ctx.lineTo(W, Y(f.floor)); ctx.stroke();
  ctx.setLineDash([]);
  for (const [k, color] of [[1, "#0877bd"], [2, "#f59322"]]) {
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    let on = false;
    for (const h of S.history) { if (h[k] === null) { on = false; continue; } if (on) ctx.lineTo(X(h[0]), Y(h[k])); else ctx.moveTo(X(h[0]), Y(h[k])); on = true; }
    ctx.stroke();
  }
}

function draw() {
  const st = S.state, f = S.frame;
  if (!st || !f || f.rev < st.rev || f === S.drawn) { if (S.drawn && S.drawnMaps === null) { drawMaps(S.drawn); S.drawnMaps = S.drawn; } return; }
  S.drawn = f; S.framesDrawn = (S.framesDrawn || 0) + 1;
  $("epoch").textContent = f.epoch;
  $("stepcount").textContent = f.step;
  $("rate").textContent = f.playing ? `${Math.round(f.steps_per_s)} steps/s` : "paused";
  $("train-loss").textContent = f.train_loss === null ? (f.step ? "NaN" : "\u2013") : f.train_loss.toFixed(3);
  $("val-loss").textContent = f.val_loss === null ? "NaN" : f.val_loss.toFixed(3);
  $("floor").textContent = f.floor.toFixed(3);
  document.body.dataset.step = f.step;
  setPlaying(f.playing);
  const chars = f.window.ids.map((k) => st.vocab[k]);
  $("window-text").textContent = chars.map(show).join("");
  $("next").innerHTML = f.next.map(([k, p]) => `<div class="prob${st.vocab[k] === st.vocab[f.window.next] ? " top" : ""}"><span class="mono">${esc(show(st.vocab[k]))}</span>` +
    `<span class="bar" style="width:${(100 * p).toFixed(1)}%"></span><span class="num" data-value="${p}">${(100 * p).toFixed(1)} %</span></div>`).join("") +
    `<p class="hint">after the window; the text has <span class="mono">${esc(show(st.vocab[f.window.next]))}</span> there.</p>`;
  $("sample").textContent = f.sample.text;
  $("sample-what").textContent = `Sampled from the model at step ${f.sample.step}, temperature ${f.sample.temperature}${f.sample.done ? "" : " (writing\u2026)"}.`;
  // the maps are redrawn when they changed (or the selected cell did, or the canvases are new)
  if (!S.drawnMaps || S.drawnMaps.data.attention !== f.data.attention) { drawMaps(f); S.drawnMaps = f; S.mapsDrawn = (S.mapsDrawn || 0) + 1; }
  drawCurve(f);
  if (!$("share-panel").hidden) updateShare();
  const now = performance.now();
  S.latency = S.latency || [];
  for (const id of Object.keys(S.sent)) {
    if (f.ack !== null && f.ack !== undefined && +id <= f.ack) { S.latency.push(now - S.sent[id]); delete S.sent[id]; }
  }
  if (S.latency.length > 200) S.latency.splice(0, S.latency.length - 200);
}

onDraw(draw);
bindControls();
openSession("/ws/text", decodeFrame, HANDLERS);
