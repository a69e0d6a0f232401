// glassnet playground: the page.  Plain JavaScript, no build step, nothing fetched from elsewhere.
// The server trains; this file only draws what it streams and sends what the controls say.
// Messages are described in glassnet/playground/protocol.py and session.py.
"use strict";

(function () {
  // ---------------------------------------------------------------- colours
  // uint8 0..255 stands for -1..+1: orange (negative), light grey (zero), blue (positive).
  const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];
  const LUT = new Uint8ClampedArray(256 * 3);
  for (let v = 0; v < 256; v++) {
    const t = v / 127.5 - 1, end = t < 0 ? NEG : POS, a = Math.abs(t);
    for (let c = 0; c < 3; c++) LUT[v * 3 + c] = Math.round(MID[c] + (end[c] - MID[c]) * a);
  }
  const LIGHT = LUT.map((c) => Math.round(c * 0.7 + 255 * 0.3));   // the output plot: points stand out
  const css = (v) => `rgb(${LUT[v * 3]},${LUT[v * 3 + 1]},${LUT[v * 3 + 2]})`;
  const toByte = (x) => Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));

  const $ = (id) => document.getElementById(id);
  const FEATURE_LABELS = {"x1": "X\u2081", "x2": "X\u2082", "x1^2": "X\u2081\u00B2", "x2^2": "X\u2082\u00B2",
    "x1x2": "X\u2081X\u2082", "sin(x1)": "sin(X\u2081)", "sin(x2)": "sin(X\u2082)"};
  const DATASET_LABELS = {circle: "circle", xor: "XOR", gaussian: "Gaussian", spiral: "spiral", moons: "moons",
    plane: "plane", bump: "bump", csv: "your CSV", xor_table: "XOR table"};
  const LOSS_LABELS = {bce: "Binary cross-entropy", mse: "Mean squared error", l1: "Mean absolute error"};

  // ---------------------------------------------------------------- state
  const S = {
    ws: null, hello: null, state: null, frame: null, drawn: null, history: [], msgId: 0,
    sent: {}, latency: [], selected: null, explain: null, stepIndex: 0, hover: null,
    framesReceived: 0, framesDrawn: 0, pendingHash: null,
  };
  window.playground = S;   // for the curious (and for the browser tests)

  function send(obj) {
    if (!S.ws || S.ws.readyState !== 1) return null;
    obj.id = ++S.msgId;
    S.sent[obj.id] = performance.now();
    S.ws.send(JSON.stringify(obj));
    return obj.id;
  }
  S.send = send;

  function toast(kind, text) {
    const div = document.createElement("div");
    div.className = "msg " + kind;
    div.textContent = text;
    $("messages").appendChild(div);
    setTimeout(() => div.remove(), kind === "error" ? 8000 : 5000);
    document.body.dataset["last" + kind[0].toUpperCase() + kind.slice(1)] = text;
  }

  function b64bytes(s) {
    const bin = atob(s), out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // ---------------------------------------------------------------- heat maps
  const GRID = 64;
  const scratch = document.createElement("canvas");
  scratch.width = scratch.height = GRID;
  const scratchCtx = scratch.getContext("2d");
  const scratchImg = scratchCtx.createImageData(GRID, GRID);

  function paintMap(canvas, b64, discretize, light) {
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

  // ---------------------------------------------------------------- connection
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws`);
    S.ws = ws;
    ws.onopen = () => { document.body.dataset.connected = "true"; };
    ws.onclose = () => {
      document.body.dataset.connected = "false";
      toast("error", "Lost the connection to the playground server. Reload the page to start a new session.");
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      const h = HANDLERS[m.type];
      if (h) h(m);
    };
  }

  const HANDLERS = {
    hello(m) {
      S.hello = m;
      document.body.dataset.session = m.session;
      const patch = hashConfig();
      if (patch && Object.keys(patch).length) S.pendingHash = send({type: "set", config: patch});
    },
    state(m) {
      const old = S.state;
      S.state = m;
      S.history = m.history.slice();
      document.body.dataset.rev = m.rev;
      syncControls(m.config);
      const shapeChanged = !old || JSON.stringify(old.sizes) !== JSON.stringify(m.sizes) ||
        JSON.stringify(old.config.features) !== JSON.stringify(m.config.features);
      if (shapeChanged) buildNetwork();
      paintInputs();
      if (old && (old.config.dataset !== m.config.dataset || old.config.problem !== m.config.problem ||
                  old.config.seed !== m.config.seed || old.config.n_points !== m.config.n_points ||
                  old.config.noise !== m.config.noise || old.config.train_ratio !== m.config.train_ratio)) {
        closeStepper();
      }
      writeHash(m.config);
      setPlaying(m.playing);
      schedule();
    },
    frame(m) {
      S.framesReceived++;
      S.ws.send('{"type":"got_frame"}');                // flow control: the server may send another
      if (S.state && m.rev < S.state.rev) return;     // drawn for a set-up the page has left
      if (S.frame && S.frame.step !== m.step || !S.frame) {
        if (m.step === 0) S.history = [];
        S.history.push([m.step, m.train_loss, m.test_loss]);
        if (S.history.length > 800) S.history = S.history.filter((_, i) => i % 2 === 0);
      }
      S.frame = m;
      schedule();
    },
    error(m) { toast("error", m.message); },
    notice(m) { toast("notice", m.message); },
    explain(m) { openStepper(m); },
    export(m) { showExport(m); },
  };

  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; draw(); });
  }

  // ---------------------------------------------------------------- controls
  function syncControls(cfg) {
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

  function bindControls() {
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

  function setPlaying(p) {
    S.playing = !!p;
    const b = $("play");
    b.classList.toggle("playing", S.playing);
    b.innerHTML = S.playing ? "&#10074;&#10074;" : "&#9654;";
    b.setAttribute("aria-label", S.playing ? "pause" : "play");
    document.body.dataset.playing = String(S.playing);
  }

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

  // ---------------------------------------------------------------- the network diagram
  const NODE = 44, GAP = 14, TOP = 56;
  let nodes = {};       // "c:i" -> div (column c: 0 inputs, 1..L hidden, L+1 output)
  let edges = [];       // {layer, row, col, path, hit}
  let biasBoxes = [];   // {layer, row, el}

  function colX(c, ncols) {
    const w = $("network").clientWidth || 600;
    return 90 + c * (w - 90 - NODE - 20) / Math.max(1, ncols - 1);
  }
  const nodeY = (i) => TOP + i * (NODE + GAP);

  function buildNetwork() {
    const net = $("network"), svg = $("edges");
    for (const el of net.querySelectorAll(".node, .layer-label, .layer-buttons")) el.remove();
    svg.innerHTML = "";
    nodes = {}; edges = []; biasBoxes = [];
    const cfg = S.state.config, feats = S.hello.options.features, sizes = S.state.sizes;
    const L = cfg.hidden.length, ncols = L + 2;
    const enabled = cfg.features;
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
    const h = S.state.config.hidden.slice(), n = h[i] + delta;
    if (n < 1 || n > S.hello.limits.max_neurons) return;
    h[i] = n; send({type: "set", config: {hidden: h}});
  }

  // hover: the weight, its last gradient and its last update
  const fmt = (v) => (v === null || v === undefined) ? "\u2013" : (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(3) : v.toFixed(4);
  function tipText() {
    const h = S.hover, f = S.frame;
    if (!h || !f) return "";
    const L = f.layers[h.e.layer];
    if (!L) return "";
    const pick = (k) => { const a = L[k]; if (!a) return null; return h.kind === "w" ? a[h.e.row][h.e.col] : a[h.e.row]; };
    const name = h.kind === "w" ? `weight [${h.e.layer}] (${h.e.row}, ${h.e.col})` : `bias [${h.e.layer}] (${h.e.row})`;
    return `<b>${name}</b><br>value ${fmt(pick(h.kind === "w" ? "w" : "b"))}<br>last gradient ${fmt(pick(h.kind === "w" ? "gw" : "gb"))}` +
      `<br>last update ${fmt(pick(h.kind === "w" ? "uw" : "ub"))}<br><small>click to edit</small>`;
  }
  function showTip(ev) {
    const tip = $("tooltip"), box = $("net-col").getBoundingClientRect();
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
    inp.value = v === null ? "" : String(+v.toFixed(6));
    inp.focus(); inp.select();
  }
  function commitWeight() {
    const v = parseFloat($("weight-input").value);
    if (editing && Number.isFinite(v)) send({type: "set_weight", layer: editing.layer, row: editing.row, col: editing.col, value: v});
    else if (editing) toast("error", "A weight must be a number.");
    hideEditor();
  }
  function hideEditor() { $("weight-editor").hidden = true; editing = null; }

  // ---------------------------------------------------------------- drawing
  function paintInputs() {
    const st = S.state;
    st.config.features.forEach((f, i) => {
      const div = nodes["0:" + i];
      if (div) paintMap(div.querySelector("canvas"), st.input_maps[i], false);
    });
    for (const div of document.querySelectorAll(".node.input.off canvas")) {
      const ctx = div.getContext("2d"); ctx.fillStyle = "#eee"; ctx.fillRect(0, 0, GRID, GRID);
    }
  }

  function draw() {
    const st = S.state, f = S.frame;
    if (!st) return;
    if (f && f.rev >= st.rev && f !== S.drawn) {
      S.drawn = f; S.framesDrawn++;
      drawNetwork(f);
      $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
      $("stepcount").textContent = f.step;
      $("train-loss").textContent = f.train_loss === null ? "NaN" : f.train_loss.toFixed(3);
      $("test-loss").textContent = f.test_loss === null ? (st.points.test.length ? "NaN" : "\u2013") : f.test_loss.toFixed(3);
      document.body.dataset.step = f.step;
      setPlaying(f.playing);
      if (S.hover) $("tooltip").innerHTML = tipText();
      const now = performance.now();
      for (const id of Object.keys(S.sent)) {
        if (f.ack !== null && +id <= f.ack) { S.latency.push(now - S.sent[id]); delete S.sent[id]; }
      }
      if (S.latency.length > 200) S.latency.splice(0, S.latency.length - 200);
    }
    drawOutput();
    drawCurve();
  }

  function drawNetwork(f) {
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
      const w = layer.w[e.row][e.col];
      const v = w === null ? 0 : w;
      e.path.setAttribute("stroke", css(toByte(Math.max(-1, Math.min(1, v)))));
      e.path.setAttribute("stroke-width", (0.6 + Math.min(6, Math.abs(v) * 2)).toFixed(2));
    }
    for (const b of biasBoxes) {
      const layer = f.layers[b.layer];
      if (!layer) continue;
      const v = layer.b[b.row] || 0;
      b.el.style.background = css(toByte(Math.max(-1, Math.min(1, v))));
    }
  }

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

  function drawOutput() {
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

  function drawCurve() {
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
  function onPlotClick(ev) {
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

  // ---------------------------------------------------------------- step-through
  // The server turns glassnet.explain's recording into steps; each number on screen carries the
  // path of the value it shows in that recording (data-path) and the value itself (data-value).
  function openStepper(m) {
    S.explain = m;
    S.selected = {split: m.point.split, index: m.point.index};
    $("stepper-body").hidden = false;
    $("stepper-hint").hidden = true;
    $("step-point").innerHTML = m.point.html;
    $("step-text").textContent = m.text || "";
    gotoStep(0);
    $("stepper").scrollIntoView({block: "nearest"});
    schedule();
  }

  function closeStepper() {
    S.explain = null; S.selected = null;
    $("stepper-body").hidden = true; $("stepper-hint").hidden = false;
    clearHighlight(); schedule();
  }

  function gotoPhase(phase) {
    if (!S.explain) return;
    const i = S.explain.steps.findIndex((s) => s.phase === phase);
    if (i >= 0) gotoStep(i);
  }

  function clearHighlight() {
    for (const el of document.querySelectorAll(".hi")) el.classList.remove("hi");
  }

  function gotoStep(i) {
    const m = S.explain; if (!m) return;
    i = Math.max(0, Math.min(m.steps.length - 1, i));
    S.stepIndex = i;
    const step = m.steps[i];
    $("step-pos").textContent = `${i + 1} / ${m.steps.length}`;
    for (const b of document.querySelectorAll("#stepper .phases button")) b.classList.toggle("current", b.dataset.phase === step.phase);
    $("step-view").innerHTML = step.html;
    $("step-view").dataset.phase = step.phase;
    clearHighlight();
    for (const [c, j] of step.nodes || []) { const n = nodes[c + ":" + j]; if (n) n.classList.add("hi"); }
    for (const [l, r, c] of step.edges || []) for (const e of edges) if (e.layer === l && e.row === r && e.col === c) e.path.classList.add("hi");
    for (const [l, r] of step.biases || []) for (const b of biasBoxes) if (b.layer === l && b.row === r) b.el.classList.add("hi");
  }

  // ---------------------------------------------------------------- export
  function showExport(m) {
    const box = $("export-links");
    for (const a of box.querySelectorAll("a")) URL.revokeObjectURL(a.href);
    box.innerHTML = "";
    const link = (blob, name, text) => {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = name; a.textContent = text; a.dataset.file = name;
      box.appendChild(a);
      return a;
    };
    const weights = link(new Blob([b64bytes(m.safetensors)], {type: "application/octet-stream"}), m.filename, `\u2B07 ${m.filename}`);
    link(new Blob([m.code], {type: "text/x-python"}), m.code_filename, `\u2B07 ${m.code_filename} (PyTorch)`);
    box.hidden = false;
    $("export-code").textContent = m.code;
    $("export-code-box").hidden = false;
    weights.click();
  }

  // ---------------------------------------------------------------- the URL carries the set-up
  function writeHash(cfg) {
    const parts = [];
    for (const [k, v] of Object.entries(cfg)) {
      if (k === "dataset" && (v === "csv" || v === "xor_table")) continue;
      parts.push(`${k}=${encodeURIComponent(Array.isArray(v) ? v.join(",") : String(v))}`);
    }
    const hash = "#" + parts.join("&");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function hashConfig() {
    if (location.hash.length < 2) return null;
    const defaults = S.hello.defaults, out = {};
    for (const part of location.hash.slice(1).split("&")) {
      const eq = part.indexOf("=");
      if (eq < 0) continue;
      const k = decodeURIComponent(part.slice(0, eq)), raw = decodeURIComponent(part.slice(eq + 1));
      if (!(k in defaults)) continue;
      const d = defaults[k];
      if (Array.isArray(d)) out[k] = raw === "" ? [] : raw.split(",").map((s) => (typeof d[0] === "number" ? parseInt(s, 10) : s));
      else if (typeof d === "boolean") out[k] = raw === "true";
      else if (typeof d === "number") out[k] = Number(raw);
      else out[k] = raw;
    }
    if (out.dataset === "csv" || out.dataset === "xor_table") delete out.dataset;
    return out;
  }

  bindControls();
  connect();
})();
