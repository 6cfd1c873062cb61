// The call page's sections below the timeline: checks, coaching, talk, sentiment, details;
// and the helpers the page's scripts share. Loaded before call.js, which lays the page out
// and plays it (timeButton, eventStart and state are call.js's).
"use strict";

const LABELS = JSON.parse(document.getElementById("labels").textContent);
const $ = (id) => document.getElementById(id);

function words(id) { return String(id || "").replaceAll("_", " "); }
function checkName(id) { return (LABELS.checks[id] || {}).name || words(id); }
function eventName(type) { return (LABELS.events[type] || {}).name || words(type); }
function fixed(value, digits = 1) { return value === null || value === undefined ? "–" : Number(value).toFixed(digits); }
function seconds(value) { return value === null || value === undefined ? "–" : `${Number(value).toFixed(1)} s`; }
function percent(value) { return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`; }
function when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : "–"; }

// An object's plain values in words ("overlap s 1.0, yielded yes"); nested ones as JSON.
function detailText(details) {
  return Object.entries(details || {}).map(([key, value]) => {
    const parts = Array.isArray(value) && value.every((v) => v && typeof v === "object" && "name" in v);
    const shown = typeof value === "number" ? (Number.isInteger(value) ? String(value) : fixed(value, 2))
      : typeof value === "boolean" ? (value ? "yes" : "no") : typeof value === "string" ? `“${value}”`
      : parts ? (value.length ? value.map((v) => `${words(v.name)} ${v.score ?? ""}${v.weight ? ` (weight ${v.weight})` : ""}`).join("; ") : "none")
      : JSON.stringify(value);
    return `${words(key)} ${shown}`;
  }).join(", ");
}

function openable(title, body) {
  return el("details", {}, el("summary", {}, title), body);
}

function checkClass(check) {
  if (check.met === null || check.met === undefined) return "na";
  if (check.polarity === "customer") return "context";
  return (check.polarity === "avoid") === Boolean(check.met) ? "bad" : "good";
}

function renderChecks(report) {
  const entries = Object.entries(report.checks || {});
  const groups = [["Needs work", "bad"], ["Done well", "good"], ["The customer", "context"], ["Not applicable", "na"]];
  const out = [];
  for (const [title, cls] of groups) {
    const rows = entries.filter(([, check]) => checkClass(check) === cls);
    if (!rows.length) continue;
    out.push(el("h3", {}, `${title} (${rows.length})`));
    out.push(el("ul", {className: "checks"}, ...rows.map(([id, check]) => {
      const status = check.met === null || check.met === undefined ? "not applicable" : check.met ? "met" : "not met";
      const meaning = (LABELS.checks[id] || {}).meaning || "";
      return el("li", {className: `check ${cls}`, "data-check-id": id},
        el("span", {className: `chip ${cls}`}, status), " ", el("strong", {}, checkName(id)),
        check.confidence !== null && check.confidence !== undefined ? el("span", {className: "hint"}, ` confidence ${fixed(check.confidence, 2)}`) : "",
        meaning ? el("div", {className: "hint"}, `Met when ${meaning}.`) : "",
        el("ul", {className: "evidence"}, ...(check.evidence || []).map((item) => el("li", {},
          item.start !== null && item.start !== undefined ? timeButton(item.start, id, checkName(id)) : "", " ",
          el("span", {className: "quote"}, item.text ? `“${item.text}”` : "")))));
    })));
  }
  $("checks").replaceChildren(...(out.length ? out : [el("p", {className: "hint"}, "No checks in this report.")]));
}

function renderCoaching(report) {
  const items = report.coaching || [];
  $("coaching").replaceChildren(...items.map((item) => {
    const first = (item.evidence || [])[0];
    const start = item.start ?? (first ? eventStart(first) : null);
    return el("li", {className: `coach ${item.kind || ""}`},
      el("span", {className: `chip ${item.kind === "strength" ? "good" : "bad"}`}, item.kind === "strength" ? "well done" : "to change"),
      " ", el("strong", {}, words(item.skill)), " ", item.message, " ",
      item.quote ? el("span", {className: "quote"}, `“${item.quote}”`) : "", " ",
      start !== null ? timeButton(start, first ? String(first).replace(/^check:/, "") : undefined, item.message) : "");
  }));
  if (!items.length) $("coaching").append(el("li", {className: "hint"}, "No coaching items."));
}

function renderMetrics(report) {
  const m = report.metrics || {};
  const a = m.agent || {}, c = m.customer || {}, call = m.call || {};
  const rows = [["Talk time", seconds(a.talk_time_s), seconds(c.talk_time_s)],
    ["Share of talk", percent(a.talk_share), percent(c.talk_share)],
    ["Words per minute", fixed(a.words_per_minute, 0), fixed(c.words_per_minute, 0)],
    ["Longest monologue", seconds(a.longest_monologue_s), seconds(c.longest_monologue_s)],
    ["Median response time", seconds(a.median_response_latency_s), seconds(c.median_response_latency_s)],
    ["Talking over the other", seconds(a.overlap_time_s), seconds(c.overlap_time_s)]];
  const share = el("div", {className: "share", role: "img", ariaLabel: `agent ${percent(a.talk_share)} of the talk`});
  share.append(el("span", {className: "share-agent"}), el("span", {className: "share-customer"}));
  share.firstChild.style.width = `${Math.round((a.talk_share || 0) * 100)}%`;
  share.lastChild.style.width = `${Math.round((c.talk_share || 0) * 100)}%`;
  $("metrics").replaceChildren(share, el("table", {className: "metrics"},
    el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, "Agent"), el("th", {}, "Customer"))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((v, i) => el(i ? "td" : "th", {}, v)))))),
    el("p", {}, `Silences of 3 s or more: ${seconds(call.non_talk_time_s)} (${percent(call.non_talk_share)} of the call).`));
}

function renderSentiment(report) {
  const mood = (report.sentiment || {}).customer || {};
  const verdicts = {turned_around: "turned around", stayed_negative: "stayed negative", worsened: "got worse",
                    stayed_positive: "stayed positive", stayed_neutral: "stayed neutral", not_enough_speech: "not enough speech to tell"};
  const text = mood.verdict ? `The customer ${verdicts[mood.verdict] || words(mood.verdict)}` +
    (mood.start_compound !== null && mood.start_compound !== undefined ? ` (from ${fixed(mood.start_compound, 2)} at the start to ${fixed(mood.end_compound, 2)} at the end, on a scale of −1 to 1).` : ".")
    : "No sentiment in this report.";
  const points = (report.transcript || []).filter((t) => t.speaker === "customer" && t.sentiment !== null && t.sentiment !== undefined);
  const list = el("ol", {className: "mood-list"}, ...points.filter((t) => Math.abs(t.sentiment) >= 0.5).map((t) => el("li", {},
    timeButton(t.start, undefined, "customer turn"), " ", el("span", {className: t.sentiment < 0 ? "chip bad" : "chip good"}, fixed(t.sentiment, 2)),
    " ", el("span", {className: "quote"}, `“${t.text}”`))));
  $("sentiment").replaceChildren(el("p", {}, text),
    points.length ? el("p", {className: "hint"}, "Strongest customer turns (the timeline's mood lane shows every turn):") : "", list);
}

function renderDetails(report) {
  const redactions = report.redactions || [];
  const skills = Object.entries((report.scores || {}).skills || {});
  const rows = [["Call id", report.call_id], ["Agent id", report.agent_id],
    ["Channels", Object.entries(report.channels || {}).map(([k, v]) => `${k} on ${v}`).join(", ")],
    ["Source", Object.entries(report.source || {}).map(([k, v]) => `${words(k)} ${v}`).join(", ")],
    ["How the parties were told apart", report.separation || "–"],
    ["Speech heard", report.speech_found === false ? "no" : report.speech_found ? "yes" : "–"],
    ["Personal data masked", `${redactions.length} span(s)${redactions.length ? `: ${[...new Set(redactions.map((r) => words(r.kind)))].join(", ")}` : ""}`],
    ["Review priority", fixed(report.review_priority, 1)],
    ["Rubric", (report.rubric || {}).version || "–"], ["Thresholds digest", (report.config || {}).digest || "–"],
    ["Analysed", when(report.generated_at)], ["By", Object.values(report.generator || {}).join(" ")]];
  const scoring = Object.entries((report.scores || {}).details || {});
  const activity = Object.entries(report.activity || {});
  const config = Object.entries(report.config || {}).filter(([key]) => key !== "digest");
  $("details").replaceChildren(
    skills.length ? el("table", {className: "metrics"}, el("caption", {}, "Score by skill"),
      el("tbody", {}, ...skills.map(([k, v]) => el("tr", {}, el("th", {}, words(k)), el("td", {}, v ?? "–"))))) : "",
    el("dl", {className: "facts"}, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "–")])),
    scoring.length ? openable("How each skill was scored", el("ul", {}, ...scoring.map(([skill, detail]) =>
      el("li", {}, el("strong", {}, words(skill)), " ", detailText(detail))))) : "",
    activity.length ? openable("Each party's speech and calm level", el("ul", {}, ...activity.map(([party, a]) =>
      el("li", {}, el("strong", {}, party), ` ${(a.segments || []).length} speech segments, leaked speech removed ${seconds(a.bleed_removed_s)}, ` +
         `calm loudness ${fixed(a.baseline_loudness_dbfs, 1)} dBFS, calm pitch ${fixed(a.baseline_f0_hz, 0)} Hz`)))) : "",
    report.separation_details ? openable("How the parties were separated", el("p", {}, detailText(report.separation_details))) : "",
    config.length ? openable("Thresholds used", el("ul", {}, ...config.map(([stage, values]) =>
      el("li", {}, el("strong", {}, words(stage)), " ", typeof values === "object" ? detailText(values) : String(values))))) : "");
}

