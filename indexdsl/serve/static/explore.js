// The explorer's page: it asks the server for the ranking whenever a weight or a
// choice changes, and shows it. Text from the index or its data is always set with
// textContent (never parsed as HTML).
"use strict";

const state = { index: null, weights: {}, choices: {}, selected: null, pending: null, seq: 0 };

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function showError(message) {
  const box = document.getElementById("error");
  box.hidden = !message;
  box.textContent = message || "";
}

async function call(path, body) {
  const response = await fetch(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function fmt(value, digits = 2) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function buildChoices(index) {
  const box = document.getElementById("choices");
  box.replaceChildren();
  if (!index.choices.length) box.append(el("p", { class: "muted" }, "The index declares no alternatives (an uncertainty block would)."));
  for (const choice of index.choices) {
    const label = el("label", {}, choice.role + " ");
    const select = el("select", { "data-role": choice.role });
    choice.options.forEach((option, i) => select.append(el("option", { value: String(i) }, option)));
    select.addEventListener("change", () => { state.choices[choice.role] = Number(select.value); schedule(); });
    label.append(select);
    box.append(label);
  }
}

function buildNode(node, into) {
  if (!node.children) return;
  const box = el("div", { class: "node" });
  box.append(el("div", { class: "name" }, node.title + (node.scheme ? " (weights from a weighting scheme)" : "")));
  const weighted = node.children.length > 1 && !node.scheme;
  node.children.forEach((child, i) => {
    const row = el("div", { class: "child" });
    row.append(el("span", {}, child.title));
    if (weighted) {
      const points = Math.round(child.weight * 1000);
      const range = el("input", { type: "range", min: "0", max: "1000", value: String(points), "aria-label": "weight of " + child.title, "data-node": node.name, "data-child": String(i) });
      const number = el("input", { type: "number", min: "0", max: "1000", value: String(points), "aria-label": "points of " + child.title, "data-node": node.name, "data-child": String(i) });
      const share = el("span", { class: "share", "data-share": node.name + "/" + i }, (child.weight * 100).toFixed(1) + "%");
      const update = (source, other) => {
        other.value = source.value;
        setWeight(node, i, Number(source.value));
      };
      range.addEventListener("input", () => update(range, number));
      number.addEventListener("change", () => update(number, range));
      row.append(range, number, share);
    }
    box.append(row);
    buildNode(child, box);
  });
  into.append(box);
}

function setWeight(node, i, points) {
  const current = state.weights[node.name] || node.children.map((c) => Math.round(c.weight * 1000));
  current[i] = Math.max(0, Math.min(1000, Math.round(points)));
  state.weights[node.name] = current;
  const total = current.reduce((a, b) => a + b, 0) || 1;
  current.forEach((p, k) => {
    const share = document.querySelector(`[data-share="${CSS.escape(node.name + "/" + k)}"]`);
    if (share) share.textContent = (100 * p / total).toFixed(1) + "%";
  });
  schedule();
}

function schedule() {
  clearTimeout(state.pending);
  const started = performance.now();
  state.pending = setTimeout(() => rerank(started), 20);
}

async function rerank(started) {
  const seq = ++state.seq;
  try {
    const answer = await call("/api/rank", { weights: state.weights, choices: state.choices });
    if (seq !== state.seq) return; // a newer change is on its way
    showError("");
    render(answer);
    const page = performance.now() - started;
    document.getElementById("timing").textContent =
      `re-ranked in ${answer.milliseconds} ms on the server, page updated ${page.toFixed(0)} ms after the change`;
    document.body.dataset.updated = String(seq);
  } catch (error) {
    showError(error.message);
  }
}

function render(answer) {
  const index = state.index;
  const root = index.framework.name;
  state.last = answer;
  const order = answer.ranks.map((r, i) => i).sort((a, b) => (answer.ranks[a] || 1e9) - (answer.ranks[b] || 1e9) || a - b);
  const body = document.querySelector("#ranking tbody");
  body.replaceChildren();
  for (const i of order) {
    const tr = el("tr", { "data-unit": index.units[i].key });
    const change = answer.ranks[i] && answer.file_ranks[i] ? answer.file_ranks[i] - answer.ranks[i] : 0;
    tr.append(el("td", { class: "n" }, answer.ranks[i] || "–"));
    tr.append(el("td", {}, index.units[i].label));
    tr.append(el("td", { class: "n" }, fmt(answer.scores[root][i])));
    tr.append(el("td", { class: "n" }, answer.file_ranks[i] || "–"));
    tr.append(el("td", { class: "n " + (change > 0 ? "up" : change < 0 ? "down" : "") }, change ? Math.abs(change) : ""));
    const iv = index.intervals;
    tr.append(el("td", { class: "n" }, iv && iv.low[i] !== null ? `${fmt(iv.low[i], 0)}–${fmt(iv.high[i], 0)}` : "–"));
    if (state.selected === i) tr.classList.add("selected");
    tr.addEventListener("click", () => { state.selected = i; render(state.last); });
    body.append(tr);
  }
  const movers = document.getElementById("movers");
  movers.replaceChildren();
  if (!answer.movers.length) movers.append(el("li", { class: "muted" }, "no unit moves"));
  for (const m of answer.movers) {
    const li = el("li", {}, `${index.units[m.unit].label}: `);
    li.append(el("span", { class: m.change > 0 ? "up" : "down" }, `${Math.abs(m.change)} (${answer.file_ranks[m.unit]} → ${answer.ranks[m.unit]})`));
    movers.append(li);
  }
  renderProfile(answer);
}

function renderProfile(answer) {
  const box = document.getElementById("profile");
  box.replaceChildren();
  const i = state.selected;
  if (i === null) return;
  const index = state.index;
  document.getElementById("profile-title").textContent = "Profile: " + index.units[i].label;
  document.getElementById("profile-note").textContent = "Scores in each top-level dimension; the line is the mean of every unit.";
  const titles = Object.fromEntries(index.framework.children.map((c) => [c.name, c.title]));
  for (const dim of index.dimensions) {
    const scores = answer.scores[dim];
    const present = scores.filter((v) => v !== null);
    const high = Math.max(...present, 1e-9);
    const mean = present.reduce((a, b) => a + b, 0) / (present.length || 1);
    const row = el("div", { class: "bar" });
    row.append(el("span", {}, titles[dim] || dim));
    const track = el("div", { class: "track" });
    const fill = el("div", { class: "fill" });
    fill.style.width = `${Math.max(0, 100 * (scores[i] || 0) / high)}%`;
    const line = el("div", { class: "mean" });
    line.style.left = `${100 * mean / high}%`;
    track.append(fill, line);
    row.append(track, el("span", { class: "n" }, fmt(scores[i])));
    box.append(row);
  }
}

async function save(event) {
  event.preventDefault();
  const name = document.getElementById("save-name").value;
  const overwrite = document.getElementById("save-overwrite").checked;
  try {
    const answer = await call("/api/save", { name, overwrite, weights: state.weights, choices: state.choices });
    document.getElementById("saved").textContent = `saved as ${answer.file}; run it with: indexdsl run ${answer.file}`;
    showError("");
  } catch (error) {
    showError(error.message);
  }
}

async function start() {
  try {
    const index = await call("/api/index");
    state.index = index;
    document.getElementById("title").textContent = index.title;
    document.getElementById("file").textContent = index.file;
    if (index.intervals) {
      document.getElementById("interval-head").textContent = `5–95% rank (${index.intervals.evaluated} replications)`;
    }
    buildChoices(index);
    const framework = document.getElementById("framework");
    framework.replaceChildren();
    buildNode(index.framework, framework);
    render(index);
    document.getElementById("timing").textContent = "the file's own weights and choices";
    document.body.dataset.updated = "0";
  } catch (error) {
    showError(error.message);
  }
}

document.getElementById("reset").addEventListener("click", () => {
  state.weights = {};
  state.choices = {};
  start();
});
document.getElementById("save").addEventListener("submit", save);
start();
