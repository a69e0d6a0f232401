// What every page of the playground shares for a classroom: links that carry a set-up (and hide
// controls), the lasting health banner, the export links.  Each page passes its own controls.
import {$, S, b64bytes, schedule, send, toast} from "./common.js";

/** A link's fragment -> {fields (raw strings), weights, hide}; ``hideable``: name -> selector.
 * Unknown names to hide get a message. */
export function parseLink(hash, hideable) {
  const out = {fields: {}, weights: null, hide: [], text: null};
  for (const part of hash.replace(/^#/, "").split("&")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    let k, v;
    try { k = decodeURIComponent(part.slice(0, eq)); v = decodeURIComponent(part.slice(eq + 1)); } catch (e) {
      toast("error", `The link's part ${part.slice(0, 40)} is not valid URL encoding; it was ignored.`, 20000); continue;
    }
    if (k === "w") out.weights = v;
    else if (k === "text") out.text = v;               // the Text page's pasted text (links.py)
    else if (k === "hide") {
      for (const name of v.split(",").filter(Boolean)) {
        if (name in hideable) out.hide.push(name);
        else toast("error", `The link's hide=${name} is not a control that can be hidden (choose from ${Object.keys(hideable).join(", ")}); it was ignored.`, 20000);
      }
    } else out.fields[k] = v;
  }
  return out;
}

/** Hide the controls ``names`` (a teacher's link); the page gets the class ``classroom``. */
export function hideControls(names, hideable) {
  for (const el of document.querySelectorAll(".hidden-by-link")) el.classList.remove("hidden-by-link");
  for (const name of names) {
    for (const el of document.querySelectorAll(hideable[name])) {
      (el.closest(".ctl, .slider, .check, .seed, .upload, .preset, .datasets") || el).classList.add("hidden-by-link");
    }
  }
  document.body.classList.toggle("classroom", names.length > 0);
}

/** The fragment of a set-up: each control, then the weights (``w``) and the hidden controls. */
export function setupHash(cfg, weights, hide, skip) {
  const parts = [];
  for (const [k, v] of Object.entries(cfg)) {
    if (skip && skip(k, v)) continue;
    parts.push(`${k}=${encodeURIComponent(Array.isArray(v) ? v.join(",") : String(v))}`);
  }
  if (weights) parts.push("w=" + weights);
  if (hide && hide.length) parts.push("hide=" + hide.join(","));
  return "#" + parts.join("&");
}

/** The health message in the lasting banner (until the next one); ``onDiverged`` runs on a divergence. */
export function showHealth(m, onDiverged) {
  const box = $("banner");
  box.innerHTML = "";
  const add = (cls, text) => {
    const div = document.createElement("div");
    div.className = cls; div.textContent = text; box.appendChild(div);
    return div;
  };
  if (m.diverged) {
    add("diverged", m.diverged.message).dataset.step = m.diverged.step;
    if (onDiverged) onDiverged();
  }
  for (const w of m.warnings) add("warning " + w.kind, w.message);
  box.hidden = !box.children.length;
  document.body.dataset.diverged = m.diverged ? "true" : "false";
  document.body.dataset.warnings = m.warnings.map((w) => w.kind).join(",");
}

/** The export message: download links for the weights and the PyTorch code, and the code shown. */
export function showExport(m) {
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

// ---------------------------------------------------------------- the controls every page's top bar has

/** Each ``[data-key]`` control shows ``cfg[key]`` (unless it has the focus; a value not offered is added). */
export function syncDataControls(cfg) {
  for (const el of document.querySelectorAll("[data-key]")) {
    const v = cfg[el.dataset.key];
    if (v === undefined || document.activeElement === el) continue;
    if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === String(v))) el.add(new Option(String(v), String(v)));
    el.value = String(v);
  }
}

export function readControl(el) {
  if (el.dataset.type === "float") return parseFloat(el.value);
  if (el.dataset.type === "int") return parseInt(el.value, 10);
  return el.value;
}

export function setPlaying(p) {
  $("play").classList.toggle("playing", !!p);
  $("play").innerHTML = p ? "&#10074;&#10074;" : "&#9654;";
  $("play").setAttribute("aria-label", p ? "pause" : "play");
  document.body.dataset.playing = p ? "true" : "false";
}

/** A change of a ``[data-key]`` control sends ``set`` with ``patch(key, value)`` (default {key: value});
 * play/pause, step, reset and export send their messages. */
export function bindTopBar(send, patch) {
  for (const el of document.querySelectorAll("[data-key]")) {
    el.addEventListener("change", () => {
      const v = readControl(el);
      if (el.type === "number" && !Number.isFinite(v)) return;
      send({type: "set", config: patch ? patch(el.dataset.key, v) : {[el.dataset.key]: v}});
    });
  }
  $("play").onclick = () => send({type: document.body.dataset.playing === "true" ? "pause" : "play"});
  $("step").onclick = () => send({type: "step", n: 1});
  $("reset").onclick = () => send({type: "reset"});
  $("export").onclick = () => send({type: "export"});
}

/** The share panel: open/close, copy (``copied``: the sentence said), a checkbox per hideable control. */
export function bindSharePanel(hideable, update, copied) {
  $("share").onclick = () => { $("share-panel").hidden = !$("share-panel").hidden; update(); };
  $("share-copy").onclick = () => {
    update(); $("share-link").select();
    if (navigator.clipboard) navigator.clipboard.writeText($("share-link").value).catch(() => {});
    toast("notice", copied);
  };
  const box = $("share-hide");
  for (const name of Object.keys(hideable)) {
    const label = document.createElement("label"), c = document.createElement("input");
    c.type = "checkbox"; c.value = name; c.onchange = update;
    label.append(c, " " + name.replace("_", " "));
    box.appendChild(label);
  }
}

/** The controls a teacher ticked to hide in the share link. */
export const hiddenInShare = () => [...document.querySelectorAll("#share-hide input:checked")].map((c) => c.value);

/** The messages the Images and Text pages handle alike: hello (a link's set-up is sent and its
 * controls in ``hideable`` hidden), frames (confirmed at once: flow control), errors, notices, the
 * health banner, the export. */
export function sharedHandlers(hideable) {
  return {
    hello(m) {
      S.hello = m;
      document.body.dataset.session = m.session;
      const link = parseLink(location.hash, hideable);
      S.hidden = link.hide;
      hideControls(link.hide, hideable);
      if (Object.keys(link.fields).length || link.weights || link.text) {
        S.pendingHash = send({type: "link", fields: link.fields, weights: link.weights || null, text: link.text});
      }
    },
    frame(m) {
      S.framesReceived = (S.framesReceived || 0) + 1;
      S.ws.send('{"type":"got_frame"}');                // flow control: the server may send another
      if (S.state && m.rev < S.state.rev) return;       // drawn for a set-up the page has left
      S.frame = m;
      schedule();
    },
    error(m) { toast("error", m.message, m.link ? 20000 : undefined); },
    notice(m) { toast("notice", m.message); },
    health(m) { showHealth(m, () => setPlaying(false)); },   // the server paused before it said so
    export(m) { showExport(m); },
  };
}
