// glassnet playground: the page.  Plain JavaScript modules, no build step, nothing fetched from elsewhere.
// The server trains; the page only draws what it streams and sends what the controls say.
// Messages are described in glassnet/playground/protocol.py and session.py.
import {$, S, decodeFrame, onDraw, openSession, schedule, send, toast} from "./common.js";
import {applyHidden, bindControls, linkFields, setPlaying, syncControls} from "./controls.js";
import {buildNetwork, drawNetwork, paintInputs, tipText} from "./network.js";
import {drawCurve, drawOutput} from "./plot.js";
import {showExport, showHealth, setupHash} from "./classroom.js";
import {closeStepper, openStepper} from "./stepper.js";

window.playground = S;   // for the curious (and for the browser tests)
S.onNetworkBuilt = () => { if (S.hidden && S.hidden.length) applyHidden(S.hidden); };
S.send = send;

// ---------------------------------------------------------------- connection

const HANDLERS = {
  hello(m) {
    S.hello = m;
    document.body.dataset.session = m.session;
    const link = linkFields(location.hash);
    applyHidden(link.hide);
    if (Object.keys(link.fields).length || link.weights) {
      S.pendingHash = send({type: "link", fields: link.fields, weights: link.weights || null});
    }
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
  error(m) { toast("error", m.message, m.link ? 20000 : undefined); },
  health(m) { showHealth(m, () => setPlaying(false)); },   // the server paused before it said so
  notice(m) { toast("notice", m.message); },
  explain(m) { openStepper(m); },
  export(m) { showExport(m); },
};

function draw() {
  const st = S.state, f = S.frame;
  if (!st) return;
  if (f && f.rev >= st.rev && f !== S.drawn) {
    S.drawn = f; S.framesDrawn++;
    drawNetwork(f);
    $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
    $("stepcount").textContent = f.step;
    $("rate").textContent = f.playing ? `${Math.round(f.steps_per_s)} steps/s` : "paused";
    $("train-loss").textContent = f.train_loss === null ? "NaN" : f.train_loss.toFixed(3);
    document.body.classList.toggle("nan", f.train_loss === null);
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

// ---------------------------------------------------------------- the URL carries the set-up

function writeHash(cfg) {
  const skip = (k, v) => k === "dataset" && (v === "csv" || v === "xor_table");
  const hash = setupHash(cfg, null, S.hidden, skip);
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

onDraw(draw);
bindControls();
openSession("/ws", decodeFrame, HANDLERS);
