// The call page: the report laid out for a reviewer, every moment in it playable.
// Trainers may not hear the whole recording: for them the player plays the bleeped clips of
// the findings they may hear (GET /calls/{id}/clips), and a moment outside them says so.
"use strict";

const MARKER_KINDS = [
  ["interruption", "Interruptions"], ["raised_voice", "Raised voice"],
  ["long_silence", "Long silences"], ["backchannel", "Backchannels"]];
const state = {report: null, call: null, trainer: false, clips: [], clip: null, turns: [],
               current: -1, movePlayhead: () => {}};
const callPath = () => `/calls/${encodeURIComponent(document.body.dataset.callId)}`;

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
       `${clock(event.start)} ${eventName(event.type)} (${event.speaker || "both"}), ${seconds(event.end - event.start)}`),
    " ", el("span", {className: "hint"}, detailText(event.details)))));
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
