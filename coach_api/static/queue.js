// The review queue: why each call is here, filters kept in the address, paging.
"use strict";

const QUEUE_PAGE = 50;
const QUEUE_LABELS = JSON.parse(document.getElementById("labels").textContent);
const queue = {offset: 0};

function queueWhen(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : ""; }

// What the API filters on, from the form: dates become times, "either" means no filter.
function queueParams(form) {
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (!value || (key === "reviewed" && value === "any") || (key === "sort" && value === "priority")) continue;
    params.set(key, key === "since" || key === "until" ? `${value}T00:00:00Z` : value);
  }
  return params;
}

function why(entry) {
  const call = entry.call;
  if (call.status === "failed") return [el("span", {className: "chip bad"}, "failed"), " ", call.error || "no reason was recorded"];
  if (call.status !== "done") return [el("span", {className: "chip na"}, call.status === "processing" ? "analysing" : call.status), " not analysed yet"];
  if (entry.speech_found === false) return [el("span", {className: "chip na"}, "silent"), " No speech heard: silent or empty recording"];
  if (!entry.flags.length) return [el("span", {className: "chip good"}, "no flags"), " Nothing flagged"];
  const shown = entry.flags.slice(0, 3).map((flag) => el("li", {},
    el("span", {className: `chip sev-${flag.severity}`, title: QUEUE_LABELS.severities[flag.severity] || ""}, flag.severity),
    " ", flag.reason));
  if (entry.flags.length > 3) shown.push(el("li", {className: "hint"}, `and ${entry.flags.length - 3} more`));
  return [el("ul", {className: "reasons"}, ...shown)];
}

function queueRow(entry) {
  const call = entry.call;
  const link = el("a", {href: `/ui/calls/${encodeURIComponent(call.id)}`, className: "call-link"}, call.id);
  const started = call.started_at ? queueWhen(call.started_at) : el("span", {title: "when the recording was received; it came without a start time"}, `received ${queueWhen(call.created_at)}`);
  return el("tr", {"data-call-id": call.id, className: entry.review_count ? "reviewed" : ""},
    el("td", {"data-label": "Why"}, link, el("div", {}, ...why(entry))),
    el("td", {"data-label": "Agent"}, call.agent_name || call.agent_id || "–"),
    el("td", {"data-label": "Team"}, call.team || "–"),
    el("td", {"data-label": "Started"}, started),
    el("td", {"data-label": "Duration"}, call.duration_s ? clock(call.duration_s) : "–"),
    el("td", {"data-label": "Score"}, entry.score_overall === null ? "–" : String(Math.round(entry.score_overall))),
    el("td", {"data-label": "Reviewed"}, entry.review_count ? `yes (${entry.review_count}), ${queueWhen(entry.last_reviewed_at)}` : "not yet"));
}

async function loadQueue(form) {
  const params = queueParams(form);
  params.set("limit", String(QUEUE_PAGE));
  params.set("offset", String(queue.offset));
  const page = await api(`/calls?${params}`);
  const body = document.querySelector("#queue tbody");
  body.replaceChildren(...page.items.map(queueRow));
  if (!page.items.length) body.append(el("tr", {}, el("td", {colSpan: 7, className: "hint"}, "No calls match these filters.")));
  const last = Math.min(page.total, queue.offset + page.items.length);
  document.getElementById("page-info").textContent = page.total ? `${queue.offset + 1}–${last} of ${page.total}` : "";
  document.getElementById("prev").disabled = queue.offset === 0;
  document.getElementById("next").disabled = last >= page.total;
  say(`${page.total} call(s)`);
}

function formFromAddress(form) {
  const query = new URLSearchParams(location.search);
  for (const element of form.elements) if (element.name && query.has(element.name)) element.value = query.get(element.name);
  queue.offset = Math.max(0, Number(query.get("offset")) || 0);
}

function remember(form) {
  const query = new URLSearchParams(new FormData(form));
  if (queue.offset) query.set("offset", String(queue.offset));
  history.replaceState(null, "", `?${query}`);
}

async function renderQueue() {
  const form = document.getElementById("filters");
  formFromAddress(form);
  const show = () => { remember(form); loadQueue(form).catch((error) => say(error.message)); };
  form.addEventListener("submit", (event) => { event.preventDefault(); queue.offset = 0; show(); });
  document.getElementById("prev").addEventListener("click", () => { queue.offset = Math.max(0, queue.offset - QUEUE_PAGE); show(); });
  document.getElementById("next").addEventListener("click", () => { queue.offset += QUEUE_PAGE; show(); });
  await loadQueue(form);
}

registerPage("queue", renderQueue);
