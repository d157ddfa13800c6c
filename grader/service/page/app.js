// The student's page of the checking service. Everything a student or an author wrote is put on the
// page as text (textContent), never as markup; the only markup inserted is what the server rendered
// for math (MathML built from a parsed formula, or an author's LaTeX through a whitelist), and the
// page's Content-Security-Policy runs no script but this file.
"use strict";

const KEY = "grader-token";
const $ = (id) => document.getElementById(id);
let current = null; // {id, sheet}
let previewTimers = {};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

// Server-made HTML (MathML for math, escaped text around it): parsed inertly, then adopted.
function rendered(html, fallback) {
  if (typeof html !== "string") return document.createTextNode(fallback || "");
  const doc = new DOMParser().parseFromString(`<div>${html}</div>`, "text/html");
  const holder = doc.body.firstElementChild;
  holder.querySelectorAll("script, iframe, object, embed, img, link, style").forEach((n) => n.remove());
  holder.querySelectorAll("*").forEach((n) => {
    for (const attr of [...n.attributes]) if (/^on/i.test(attr.name) || /href|src/i.test(attr.name)) n.removeAttribute(attr.name);
  });
  const frag = document.createDocumentFragment();
  while (holder.firstChild) frag.append(document.adoptNode(holder.firstChild));
  return frag;
}

async function api(path, options = {}) {
  const token = localStorage.getItem(KEY);
  const headers = Object.assign({ Authorization: `Bearer ${token}` }, options.body ? { "Content-Type": "application/json" } : {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) {
    const error = new Error((data && data.error) || `the server answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function show(id) {
  for (const section of ["login", "assignments", "assignment"]) $(section).hidden = section !== id;
}

async function start() {
  if (!localStorage.getItem(KEY)) { show("login"); return; }
  try {
    const me = await api("/api/me");
    $("who").textContent = me.instructor ? "instructor" : `${me.name || ""} (${me.student})`;
    $("signout").hidden = false;
    await listAssignments();
  } catch (error) {
    if (error.status === 401) localStorage.removeItem(KEY);
    $("login-error").textContent = error.message;
    show("login");
  }
}

async function listAssignments() {
  const list = $("assignment-list");
  list.replaceChildren();
  const assignments = await api("/api/assignments");
  for (const a of assignments) {
    const link = el("button", { type: "button", text: a.title, dir: "auto" });
    link.addEventListener("click", () => openAssignment(a.id));
    const meta = [a.due ? `due ${new Date(a.due).toLocaleString()}` : "no due date",
      a.attempts_allowed ? `${a.attempts_used} of ${a.attempts_allowed} submissions used` : `${a.attempts_used} submission(s)`,
      a.open ? "" : "closed"].filter(Boolean).join(" · ");
    list.append(el("li", {}, link, el("span", { class: "meta", text: ` ${meta}` })));
  }
  show("assignments");
}

async function openAssignment(id) {
  const sheet = await api(`/api/assignments/${encodeURIComponent(id)}`);
  current = { id, sheet };
  $("a-title").textContent = sheet.title;
  $("a-description").replaceChildren(rendered(sheet.description_html, sheet.description));
  $("summary").hidden = true;
  const questions = $("questions");
  questions.replaceChildren();
  for (const section of sheet.sections) {
    const box = el("div", { class: "question" });
    if (section.title) box.append(el("h3", { text: section.title, dir: "auto" }));
    if (section.prompt) box.append(el("div", { class: "prompt", dir: "auto" }, rendered(section.prompt_html, section.prompt)));
    for (const part of section.parts) box.append(partBlock(part));
    questions.append(box);
  }
  await refreshMeta();
  await refreshHistory();
  show("assignment");
}

function partBlock(part) {
  const block = el("div", { class: "part", id: `part-${part.id}`, "data-kind": part.kind });
  const heading = el("h4", { dir: "auto" }, document.createTextNode(`${part.id}${part.title ? ": " + part.title : ""} `),
    el("span", { class: "points", text: `(${part.points} point${part.points === 1 ? "" : "s"})` }));
  block.append(heading, el("div", { class: "prompt", dir: "auto" }, rendered(part.prompt_html, part.prompt)));
  const name = `answer-${part.id}`;
  if (part.kind === "choice") {
    const group = el("fieldset", { class: "options" }, el("legend", { class: "how", text: part.how }));
    for (const option of part.options) {
      const input = el("input", { type: part.multiple ? "checkbox" : "radio", name, value: option.label, id: `${name}-${option.label}` });
      const label = el("label", { for: input.id, dir: "auto" }, document.createTextNode(`${option.label}) `), rendered(option.html, option.text));
      group.append(el("div", { class: "option" }, input, label));
    }
    block.append(group);
  } else if (part.kind === "text") {
    block.append(el("label", { for: name, class: "how", text: part.how }), el("textarea", { id: name, name, dir: "auto" }));
  } else if (part.kind === "code") {  // the file's text: pasted, or read here from the student's own disk
    const area = el("textarea", { id: name, name, class: "code", dir: "ltr", spellcheck: "false", autocomplete: "off" });
    const file = el("input", { type: "file", accept: ".py", id: `file-${part.id}` });
    file.addEventListener("change", async () => { if (file.files[0]) area.value = await file.files[0].text(); });
    block.append(el("label", { for: name, class: "how", text: part.how }), area, file);
  } else {
    const input = el("input", { type: "text", id: name, name, dir: "auto", autocomplete: "off", spellcheck: "false" });
    block.append(el("label", { for: name, class: "how", text: part.how }), input);
    if (part.kind === "expression") {
      const preview = el("div", { class: "preview", "aria-live": "polite", id: `preview-${part.id}` });
      input.addEventListener("input", () => schedulePreview(part.id, input.value, preview));
      block.append(preview);
    }
  }
  block.append(el("div", { class: "result", id: `result-${part.id}`, hidden: "" }));
  return block;
}

function schedulePreview(partId, text, preview) {
  clearTimeout(previewTimers[partId]);
  previewTimers[partId] = setTimeout(async () => {
    try {
      const out = await api(`/api/assignments/${encodeURIComponent(current.id)}/preview`,
        { method: "POST", body: JSON.stringify({ part: partId, text }) });
      if (out.mathml) preview.replaceChildren(rendered(out.mathml));
      else if (out.error) preview.replaceChildren(el("span", { class: "error", text: out.error }));
      else preview.replaceChildren();
    } catch (error) {
      preview.replaceChildren(el("span", { class: "error", text: error.message }));
    }
  }, 250);
}

function collect() {
  const answers = {};
  for (const section of current.sheet.sections) {
    for (const part of section.parts) {
      const name = `answer-${part.id}`;
      if (part.kind === "choice") {
        const picked = [...document.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)].map((i) => i.value);
        if (picked.length) answers[part.id] = part.multiple ? picked : picked[0];
      } else {
        const value = $(name).value;
        if (value.trim()) answers[part.id] = value;
      }
    }
  }
  return answers;
}

function showReport(report, submitted) {
  const rendered_ = report.rendered || {};
  for (const part of report.parts) {
    const box = $(`result-${part.id}`);
    if (!box) continue;
    box.className = `result ${part.status}`;
    box.hidden = false;
    // a rubric's provisional score is for the instructor to confirm: a student never sees that number
    const waiting = part.status === "needs_review" && !part.override;
    const verdict = el("span", { class: "verdict", text: waiting ? `awaiting review (out of ${part.max_score})`
      : `${part.status.replace("_", " ")}: ${part.score} / ${part.max_score}` });
    const feedback = el("div", { class: "feedback", dir: "auto" }, rendered(rendered_[part.id], part.feedback));
    box.replaceChildren(verdict, feedback);
    if (part.details && part.details.length) box.append(el("ul", {}, ...part.details.map((d) => el("li", { text: d, dir: "auto" }))));
    if (part.reference !== undefined) box.append(el("div", { class: "meta", text: `Answer: ${JSON.stringify(part.reference)}` }));
  }
  const summary = $("summary");
  const waiting = report.parts.filter((p) => p.status === "needs_review" && !p.override);
  const known = report.score - waiting.reduce((sum, p) => sum + p.score, 0);
  const lines = [el("strong", { text: `${submitted ? "Submitted" : "Checked"}: ${Math.round(known * 1e6) / 1e6} / ${report.max_score}` })];
  if (waiting.length) lines.push(document.createTextNode(`, and up to ${waiting.reduce((sum, p) => sum + p.max_score, 0)} point(s) awaiting an instructor's review`));
  if (!submitted) lines.push(document.createTextNode(" (a check is not recorded as a grade)"));
  if (report.late) lines.push(el("p", { class: "error", text: `Late by ${report.late.days} day(s): ${report.late.penalty_percent}% taken off (${report.late.score_before_penalty} before the penalty).` }));
  if (report.problem) lines.push(el("p", { class: "error", text: report.problem, dir: "auto" }));
  for (const warning of report.warnings || []) lines.push(el("p", { class: "meta", text: warning, dir: "auto" }));
  summary.replaceChildren(...lines);
  summary.hidden = false;
}

async function send(kind) {
  const buttons = [$("check"), $("submit")];
  buttons.forEach((b) => { b.disabled = true; });
  $("status").textContent = kind === "check" ? "Checking…" : "Submitting…";
  try {
    const report = await api(`/api/assignments/${encodeURIComponent(current.id)}/${kind}`,
      { method: "POST", body: JSON.stringify({ answers: collect() }) });
    showReport(report, kind === "submit");
    $("status").textContent = kind === "check" ? "Checked." : `Submitted (submission ${report.submission.number}).`;
    if (kind === "submit") { await refreshHistory(); await refreshMeta(); }
  } catch (error) {
    $("status").textContent = error.message;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

async function refreshMeta() {
  const all = await api("/api/assignments");
  const a = all.find((x) => x.id === current.id);
  if (!a) return;
  const parts = [`${a.max_score} points`, a.due ? `due ${new Date(a.due).toLocaleString()}` : "no due date"];
  if (a.late_penalty_per_day) parts.push(`${a.late_penalty_per_day}% off per day late`);
  if (a.attempts_allowed) parts.push(`${a.attempts_left} of ${a.attempts_allowed} submissions left`);
  parts.push(a.counts === "best" ? "your best submission counts" : "your latest submission counts");
  if (!a.open) parts.push("closed: no more submissions");
  $("a-meta").textContent = parts.join(" · ");
}

async function refreshHistory() {
  const history = await api(`/api/assignments/${encodeURIComponent(current.id)}/submissions`);
  $("history").replaceChildren(...history.map((h) => el("li", { class: "submission",
    text: `${new Date(h.received_at).toLocaleString()}: ${h.report.parts.some((p) => p.status === "needs_review" && !p.override)
      ? "part of it awaiting review" : `${h.score} / ${h.max_score}`}` +
      (h.late_penalty_percent ? ` (${h.late_penalty_percent}% late penalty)` : "") + (h.counted ? " (counts)" : "") })));
  if (!history.length) $("history").append(el("li", { class: "meta", text: "none yet" }));
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    localStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    $("login-error").textContent = "";
    await start();
  });
  $("signout").addEventListener("click", () => {
    localStorage.removeItem(KEY);
    $("who").textContent = "";
    $("signout").hidden = true;
    show("login");
  });
  $("back").addEventListener("click", () => listAssignments());
  $("check").addEventListener("click", () => send("check"));
  $("submit").addEventListener("click", () => send("submit"));
  start();
});
