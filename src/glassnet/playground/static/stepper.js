// Step through one point (the server's steps from glassnet.explain's recording).
import {$, S, schedule} from "./common.js";
import {buildNetwork, clearHighlight, drawNetwork, highlight, paintInputs} from "./network.js";

/** Lay the network out again for the space it has now (the panel docked or not, a resize). */
export function relayout() {
  if (!S.state || !S.hello) return;
  buildNetwork();
  paintInputs();
  if (S.drawn) drawNetwork(S.drawn);
  if (S.explain) highlight(S.explain.steps[S.stepIndex]);
}

let resizeTimer = null;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(relayout, 150); });

// ---------------------------------------------------------------- step-through
// The server turns glassnet.explain's recording into steps; each number on screen carries the
// path of the value it shows in that recording (data-path) and the value itself (data-value).

export function openStepper(m) {
  S.explain = m;
  S.selected = {split: m.point.split, index: m.point.index};
  $("stepper-body").hidden = false;
  $("stepper-hint").hidden = true;
  $("step-point").innerHTML = m.point.html;
  $("step-text").textContent = m.text || "";
  // wide screens: dock beside the network (over the output column), below the controls, without
  // scrolling the page; narrow screens: the panel follows the columns, so bring it into view
  const top = Math.max(0, document.querySelector("main").getBoundingClientRect().top);
  document.documentElement.style.setProperty("--dock-top", top + "px");
  const was = document.body.classList.contains("stepping");
  document.body.classList.add("stepping");
  S.stepIndex = 0;
  if (!was) relayout();
  gotoStep(0);
  if (window.innerWidth < 1100) $("stepper").scrollIntoView({block: "nearest"});
  schedule();
}

export function closeStepper() {
  S.explain = null; S.selected = null;
  if (document.body.classList.contains("stepping")) { document.body.classList.remove("stepping"); relayout(); }
  $("stepper-body").hidden = true; $("stepper-hint").hidden = false;
  clearHighlight(); schedule();
}

export function gotoPhase(phase) {
  if (!S.explain) return;
  const i = S.explain.steps.findIndex((s) => s.phase === phase);
  if (i >= 0) gotoStep(i);
}

export function gotoStep(i) {
  const m = S.explain; if (!m) return;
  i = Math.max(0, Math.min(m.steps.length - 1, i));
  S.stepIndex = i;
  const step = m.steps[i];
  $("step-pos").textContent = `${i + 1} / ${m.steps.length}`;
  for (const b of document.querySelectorAll("#stepper .phases button")) b.classList.toggle("current", b.dataset.phase === step.phase);
  $("step-view").innerHTML = step.html;
  $("step-view").dataset.phase = step.phase;
  highlight(step);
}
