// The library: find example moments across calls (picked from lists, never typed ids), play
// each clip inline, and gather clips into named collections that every role can open.
"use strict";

const LIB_PAGE = 20;
const LIB_LABELS = JSON.parse(document.getElementById("labels").textContent);
const lib = {offset: 0, collections: [], curator: false};

function libWhen(iso) { return iso ? iso.slice(0, 10) : ""; }

function findingLabel(f) {
  if (f.kind === "event") return `${(LIB_LABELS.events[f.type] || {}).name || f.type} (${f.speaker || "both"})`;
  const name = (LIB_LABELS.checks[f.check_id] || {}).name || f.check_id;
  return `${name}${f.met === null ? "" : f.met ? " (met)" : " (not met)"}`;
}

function searchParams(form) {
  const params = new URLSearchParams();
  const data = new FormData(form);
  const [kind, id] = String(data.get("what") || "").split(":");
  params.set("kind", kind);
  params.set(kind === "event" ? "type" : "check_id", id);
  if (kind === "check" && data.get("met")) params.set("met", data.get("met"));
  for (const key of ["speaker", "team"]) if (data.get(key)) params.set(key, data.get(key));
  for (const key of ["since", "until"]) if (data.get(key)) params.set(key, `${data.get(key)}T00:00:00Z`);
  return params;
}

function addControl(finding) {
  if (!lib.curator || !finding.clip_url) return "";
  const select = el("select", {ariaLabel: "Collection to add this clip to"},
    ...lib.collections.map((c) => el("option", {value: String(c.id)}, c.name)));
  const button = el("button", {type: "button", onclick: async () => {
    if (!select.value) { say("Create a collection first."); return; }
    try {
      await api(`/collections/${select.value}/items`, {method: "POST",
        json: {call_id: finding.call_id, finding_id: finding.finding_id}});
      say(`Added to ${select.selectedOptions[0].textContent}.`);
      await loadCollections();
    } catch (error) { say(error.message); }
  }}, "Add");
  return el("span", {className: "add-to"}, select, button);
}

function resultItem(f) {
  const focus = f.kind === "event" ? `event=${encodeURIComponent(f.finding_id)}` : `check=${encodeURIComponent(f.finding_id)}`;
  return el("li", {className: "result", "data-finding-id": f.finding_id, "data-call-id": f.call_id},
    el("div", {}, el("strong", {}, findingLabel(f)), " at ", clock(f.start_s || 0), " · ",
       el("a", {href: `/ui/calls/${encodeURIComponent(f.call_id)}?${focus}`}, `call ${f.call_id}`),
       el("span", {className: "hint"}, ` ${f.agent_id || ""} ${f.team || ""} ${libWhen(f.call_started_at)}`)),
    f.quote ? el("div", {className: "quote"}, `“${f.quote}”`) : "",
    f.clip_url ? el("audio", {controls: true, preload: "none", src: f.clip_url}) :
      el("div", {className: "hint"}, "No clip: past the share of this call trainers may hear."),
    addControl(f));
}

async function loadResults(form) {
  const params = searchParams(form);
  params.set("limit", String(LIB_PAGE));
  params.set("offset", String(lib.offset));
  const page = await api(`/findings?${params}`);
  document.getElementById("results").replaceChildren(...page.items.map(resultItem));
  if (!page.items.length) document.getElementById("results").append(el("li", {className: "hint"}, "Nothing found."));
  const last = Math.min(page.total, lib.offset + page.items.length);
  document.getElementById("page-info").textContent = page.total ? `${lib.offset + 1}–${last} of ${page.total}` : "";
  document.getElementById("prev").disabled = lib.offset === 0;
  document.getElementById("next").disabled = last >= page.total;
  say(`${page.total} finding(s)`);
}

async function openCollection(id) {
  const detail = await api(`/collections/${id}`);
  const box = document.getElementById("collection");
  box.replaceChildren(el("h3", {}, detail.name), detail.description ? el("p", {}, detail.description) : "",
    el("ol", {className: "results"}, ...detail.items.map((item) => el("li", {className: "result", "data-item-id": item.id},
      el("strong", {}, item.label),
      ...(item.call_id ? [" · ", el("a", {href: `/ui/calls/${encodeURIComponent(item.call_id)}`}, `call ${item.call_id}`)] : []),
      el("span", {className: "hint"}, ` added by ${item.added_by}`),
      item.quote ? el("div", {className: "quote"}, `“${item.quote}”`) : "",
      item.clip_url ? el("audio", {controls: true, preload: "none", src: item.clip_url}) : el("div", {className: "hint"}, "This clip is no longer available."),
      lib.curator ? el("button", {type: "button", onclick: async () => {
        await api(`/collections/${id}/items/${item.id}`, {method: "DELETE"}).catch((e) => say(e.message));
        await openCollection(id);
        await loadCollections();
      }}, "Remove") : ""))));
  if (!detail.items.length) box.append(el("p", {className: "hint"}, "No clips yet: search above and add some."));
}

async function loadCollections() {
  lib.collections = await api("/collections");
  document.getElementById("collections").replaceChildren(...lib.collections.map((c) => el("li", {},
    el("button", {type: "button", className: "link", "data-collection-id": c.id, onclick: () => openCollection(c.id).catch((e) => say(e.message))},
       `${c.name} (${c.item_count})`), el("span", {className: "hint"}, ` by ${c.creator}`))));
  if (!lib.collections.length) document.getElementById("collections").append(el("li", {className: "hint"}, "No collections yet."));
  for (const select of document.querySelectorAll(".add-to select")) {
    const chosen = select.value;
    select.replaceChildren(...lib.collections.map((c) => el("option", {value: String(c.id)}, c.name)));
    if (chosen) select.value = chosen;
  }
}

async function renderLibrary() {
  const role = document.getElementById("labels").dataset.role;
  lib.curator = ["trainer", "supervisor", "admin"].includes(role);
  const form = document.getElementById("search");
  const creator = document.getElementById("new-collection");
  creator.hidden = !lib.curator;
  creator.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/collections", {method: "POST", json: {name: creator.elements.name.value}});
      creator.reset();
      await loadCollections();
      say("Collection created.");
    } catch (error) { say(error.message); }
  });
  await loadCollections();
  if (role === "agent") { say("Collections of example clips from your trainers."); return; }
  document.getElementById("search-section").hidden = false;
  const show = () => loadResults(form).catch((error) => say(error.message));
  form.addEventListener("submit", (event) => { event.preventDefault(); lib.offset = 0; show(); });
  document.getElementById("prev").addEventListener("click", () => { lib.offset = Math.max(0, lib.offset - LIB_PAGE); show(); });
  document.getElementById("next").addEventListener("click", () => { lib.offset += LIB_PAGE; show(); });
  await loadResults(form);
}

registerPage("library", renderLibrary);
