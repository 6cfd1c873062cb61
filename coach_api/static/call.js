// The call page: the report laid out for a reviewer, every moment in it playable.
// Trainers may not hear the whole recording: for them the player plays the bleeped clips of
// the findings they may hear (GET /calls/{id}/clips), and a moment outside them says so.
"use strict";

const LABELS = JSON.parse(document.getElementById("labels").textContent);
const MARKER_KINDS = [
  ["interruption", "Interruptions"], ["raised_voice", "Raised voice"],
  ["long_silence", "Long silences"], ["backchannel", "Backchannels"]];
const state = {report: null, call: null, trainer: false, clips: [], clip: null, turns: [],
               current: -1, movePlayhead: () => {}};
const $ = (id) => document.getElementById(id);
const callPath = () => `/calls/${encodeURIComponent(document.body.dataset.callId)}`;

function words(id) { return String(id || "").replaceAll("_", " "); }
function checkName(id) { return (LABELS.checks[id] || {}).name || words(id); }
function eventName(type) { return (LABELS.events[type] || {}).name || words(type); }
function fixed(value, digits = 1) { return value === null || value === undefined ? "–" : Number(value).toFixed(digits); }
function seconds(value) { return value === null || value === undefined ? "–" : `${Number(value).toFixed(1)} s`; }
function percent(value) { return value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`; }
function when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : "–"; }

// ---- playing -------------------------------------------------------------------------------

function callTime() {
  const player = $("player");
  return (state.trainer && state.clip ? state.clip.start_s : 0) + (player.currentTime || 0);
}

function playAt(startS, findingId) {
  const player = $("player");
  player.dataset.seekedTo = String(startS);
  if (!state.trainer) {
    player.currentTime = startS;
    player.play().catch(() => {});  // autoplay may be refused; the position is set either way
    return;
  }
  const clip = state.clips.find((c) => c.finding_id === findingId) ||
    state.clips.find((c) => c.start_s <= startS + 0.01 && startS < c.end_s);
  if (!clip) {
    $("now-playing").textContent = `Trainers hear the clips around findings only; there is none at ${clock(startS)}.`;
    return;
  }
  const offset = Math.max(0, startS - clip.start_s);
  state.clip = clip;
  const go = () => { player.currentTime = offset; player.play().catch(() => {}); };
  if (player.dataset.clipUrl === clip.url) { go(); return; }
  player.dataset.clipUrl = clip.url;
  player.addEventListener("loadedmetadata", go, {once: true});
  player.src = clip.url;
  $("now-playing").textContent = `Playing the bleeped clip ${clock(clip.start_s)}–${clock(clip.end_s)}.`;
}

function timeButton(startS, findingId, label) {
  return el("button", {type: "button", className: "time", "data-start-s": startS,
                       onclick: () => playAt(startS, findingId),
                       ariaLabel: `Play from ${clock(startS)}${label ? `: ${label}` : ""}`},
            `▶ ${clock(startS)}`);
}

function followPlayback() {
  const t = callTime();
  state.movePlayhead(t);
  const turns = state.turns;
  let index = -1, low = 0, high = turns.length - 1;
  while (low <= high) {  // the last turn starting at or before t
    const mid = (low + high) >> 1;
    if (turns[mid].start <= t) { index = mid; low = mid + 1; } else high = mid - 1;
  }
  if (index >= 0 && t > turns[index].end + 1.0) index = -1;
  if (index === state.current) return;
  const items = $("transcript").children;
  if (state.current >= 0 && items[state.current]) items[state.current].classList.remove("current");
  state.current = index;
  if (index < 0) return;
  items[index].classList.add("current");
  if ($("follow").checked && !$("player").paused) {
    const list = $("transcript");
    list.scrollTop = items[index].offsetTop - list.clientHeight / 3;
  }
}

// ---- sections ------------------------------------------------------------------------------

function eventStart(id) {
  const event = state.report.events.find((e) => e.id === id);
  if (event) return event.start;
  const check = state.report.checks[String(id).replace(/^check:/, "")];
  const first = check && check.evidence && check.evidence[0];
  return first && first.start !== null && first.start !== undefined ? first.start : null;
}

function renderHeader(call, report) {
  const score = report.scores || {};
  const facts = [
    ["Agent", report.agent_name || call.agent_name || report.agent_id || call.agent_id || "–"],
    ["Team", report.team || call.team || "–"],
    ...(state.trainer ? [] : [["Customer", report.customer_name || call.customer_name || "–"]]),
    ["Started", when(report.started_at || call.started_at)],
    ["Duration", clock(report.duration_s || call.duration_s || 0)],
    ["Score", score.overall === null || score.overall === undefined ? "–" : `${Math.round(score.overall)} / 100`],
  ];
  const header = $("call-header");
  header.replaceChildren(el("dl", {className: "call-facts"}, ...facts.map(([k, v]) =>
    el("div", {className: "fact"}, el("dt", {}, k), el("dd", {}, v)))));
  if (state.trainer) header.append(el("p", {className: "notice"}, "Personal data is masked in text and bleeped in clips."));
  if (report.speech_found === false) header.append(el("p", {className: "notice"}, "No speech was heard in this call: it is silent or empty, not a clean call."));
  for (const note of report.notes || []) header.append(el("p", {className: "notice", role: "note"}, note));
  if (report.separation === "mono-diarized") {
    const d = report.separation_details || {};
    header.append(el("p", {className: "notice", role: "note"},
      `Mono call (separation confidence ${fixed(d.confidence, 2)}, agent named by ${words(d.agent_named_by || "?")}): ${d.note || ""}`));
  }
  const flags = report.flags || [];
  header.append(el("h2", {}, flags.length ? `Flags (${flags.length})` : "No flags"));
  header.append(el("ul", {className: "flags"}, ...flags.map((flag) => {
    const moments = [...(flag.event_ids || []), ...(flag.check_ids || []).map((c) => `check:${c}`)]
      .map((id) => [id, eventStart(id)]).filter(([, t]) => t !== null);
    return el("li", {className: `flag sev-${flag.severity}`},
      el("span", {className: `chip sev-${flag.severity}`, title: LABELS.severities[flag.severity] || ""}, flag.severity),
      " ", el("strong", {}, flag.reason), " ",
      el("span", {className: "hint"}, LABELS.severities[flag.severity] || ""), " ",
      ...moments.map(([id, t]) => timeButton(t, id.replace(/^check:/, ""), flag.reason)));
  })));
}

function markerGroups(report) {
  const groups = MARKER_KINDS.map(([type, label]) => ({label, items: report.events
    .filter((e) => e.type === type)
    .map((e) => ({id: e.id, start: e.start, end: e.end, className: `m-${type} m-${e.speaker || "both"}`,
                  title: `${eventName(type)} (${e.speaker || "both"}) at ${clock(e.start)}`}))}));
  const evidence = Object.entries(report.checks || {}).flatMap(([id, check]) => (check.evidence || [])
    .filter((item) => item.start !== null && item.start !== undefined)
    .map((item, index) => ({id: `${id}-${index}`, findingId: id, start: item.start, end: item.end ?? item.start,
                            className: `m-check ${checkClass(check)}`, title: `${checkName(id)} at ${clock(item.start)}`})));
  groups.push({label: "Check evidence", items: evidence});
  return groups;
}

function renderMarkers(report) {
  $("events").replaceChildren(...report.events.map((event) => el("li", {},
    el("button", {type: "button", className: "finding", "data-event-id": event.id, "data-start-s": event.start,
                  onclick: () => playAt(event.start, event.id)},
       `${clock(event.start)} ${eventName(event.type)} (${event.speaker || "both"}), ${seconds(event.end - event.start)}`))));
}

function renderTranscript(report) {
  state.turns = report.transcript || [];
  $("transcript").replaceChildren(...state.turns.map((turn) => el("li", {className: `turn turn-${turn.speaker}`},
    el("button", {type: "button", className: "turn-time", "data-start-s": turn.start, onclick: () => playAt(turn.start),
                  ariaLabel: `Play from ${clock(turn.start)}`}, clock(turn.start)),
    el("span", {className: "who"}, turn.speaker === "agent" ? "Agent" : "Customer"),
    el("span", {className: "said"}, turn.text))));
  if (!state.turns.length) $("transcript").append(el("li", {className: "hint"}, "No transcript: nothing was heard, or the call was analysed without one."));
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
  $("details").replaceChildren(
    skills.length ? el("table", {className: "metrics"}, el("caption", {}, "Score by skill"),
      el("tbody", {}, ...skills.map(([k, v]) => el("tr", {}, el("th", {}, words(k)), el("td", {}, v ?? "–"))))) : "",
    el("dl", {className: "facts"}, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "–")])));
}

function reviewItem(review) {
  const replies = (review.replies || []).map((reply) => el("li", {className: "reply"},
    `${when(reply.created_at)} ${reply.author} ${reply.kind === "acknowledged" ? "acknowledged" : "replied"}`,
    reply.note ? `: ${reply.note}` : ""));
  return el("li", {className: "review"}, el("strong", {}, `${when(review.created_at)} ${review.reviewer}: `), review.note,
            replies.length ? el("ul", {className: "replies"}, ...replies) : "");
}

async function renderReviewList(path) {
  if (state.trainer) {  // reviews are between a call's agent and their supervisor
    $("reviews").replaceChildren(el("li", {className: "hint"}, "Reviews are shown to supervisors and to the call's agent."));
    return;
  }
  let reviews;
  try { reviews = await api(`${path}/review`); } catch (error) {
    if (error.status === 401) throw error;
    $("reviews").replaceChildren(el("li", {className: "hint"}, "Reviews are shown to supervisors and to the call's agent."));
    return;
  }
  const show = (items) => $("reviews").replaceChildren(...(items.length ? items.map(reviewItem)
    : [el("li", {className: "hint"}, "Not reviewed yet.")]));
  show(reviews);
  if (!state.reviewer) return;
  const form = $("review-form");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`${path}/review`, {method: "POST", json: {note: form.note.value}});
      form.reset();
      show(await api(`${path}/review`));
      say("Marked reviewed.");
    } catch (error) { say(error.message); }
  });
}

// ---- the page ------------------------------------------------------------------------------

function showCall(call, report) {
  const durationS = report.duration_s || call.duration_s || 1;
  renderHeader(call, report);
  state.movePlayhead = drawTimeline($("timeline"), {report, durationS, markers: markerGroups(report),
                                                    onSeek: (item) => playAt(item.start, item.findingId || item.id)});
  renderMarkers(report);
  renderTranscript(report);
  renderChecks(report);
  renderCoaching(report);
  renderMetrics(report);
  renderSentiment(report);
  renderDetails(report);
  $("call-page").hidden = false;
}

function focusFromLink(report) {
  const query = new URLSearchParams(location.search);
  const event = report.events.find((e) => e.id === query.get("event"));
  const check = query.get("check") ? eventStart(`check:${query.get("check")}`) : null;
  const wanted = event ? event.start : check ?? (query.has("t") ? Number(query.get("t")) : null);
  if (wanted !== null && Number.isFinite(wanted)) playAt(wanted, event ? event.id : query.get("check") || undefined);
}

async function renderCallPage() {
  const role = document.getElementById("labels").dataset.role;
  state.trainer = role === "trainer";
  state.reviewer = role === "supervisor" || role === "admin";
  const path = callPath();
  const call = await api(path);
  state.call = call;
  if (call.status !== "done") {
    $("call-header").replaceChildren(el("p", {className: "notice"}, call.status === "failed"
      ? `Analysis failed: ${call.error || "no reason was recorded"}.` : `This call is ${call.status}; its report will appear here when the analysis is done.`));
    $("call-page").hidden = false;
    for (const section of document.querySelectorAll("#call-page > :not(#call-header)")) section.hidden = true;
    return;
  }
  const report = await api(`${path}/report`);
  state.report = report;
  const player = $("player");
  if (state.trainer) state.clips = await api(`${path}/clips`);
  else player.src = `${API}${path}/audio`;
  player.addEventListener("timeupdate", followPlayback);
  player.addEventListener("seeked", followPlayback);
  showCall(call, report);
  focusFromLink(report);
  say(`${report.events.length} marker(s), ${Object.keys(report.checks || {}).length} check(s)`);
  await renderReviewList(path);
}

registerPage("call", renderCallPage);
