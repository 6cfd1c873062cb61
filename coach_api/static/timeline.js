// The call's timeline: a lane per party (speech, loudness, pitch), the customer's sentiment,
// and a row of markers per kind of event. Lanes are SVG drawn here; markers are buttons, so
// they take the keyboard focus and a screen reader names them.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const LANE_W = 1000;  // viewBox width; lanes stretch to the page, strokes do not

function svgEl(tag, attrs = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function laneSvg(height, label) {
  return svgEl("svg", {viewBox: `0 0 ${LANE_W} ${height}`, preserveAspectRatio: "none",
                       role: "img", "aria-label": label, class: "lane-svg", height: String(height)});
}

// A polyline through the non-null values, broken where a value is null (nobody speaking).
function trackPath(values, stepS, durationS, toY) {
  let d = "", open = false;
  values.forEach((value, index) => {
    if (value === null || value === undefined) { open = false; return; }
    const x = ((index + 0.5) * stepS / durationS) * LANE_W;
    d += `${open ? "L" : "M"}${x.toFixed(1)} ${toY(value).toFixed(1)} `;
    open = true;
  });
  return d.trim();
}

function range(values, fallback) {
  const known = values.filter((v) => v !== null && v !== undefined);
  if (!known.length) return fallback;
  const low = Math.min(...known), high = Math.max(...known);
  return high - low < 1e-6 ? [low - 1, high + 1] : [low, high];
}

function speechLane(segments, durationS, party) {
  const svg = laneSvg(14, `${party} speech`);
  for (const [start, end] of segments || []) {
    svg.append(svgEl("rect", {x: (start / durationS * LANE_W).toFixed(2), y: 2, height: 10,
                              width: Math.max(0.5, (end - start) / durationS * LANE_W).toFixed(2),
                              class: `speech speech-${party}`}));
  }
  return svg;
}

function lineLane(values, stepS, durationS, {label, kind, baseline, floor}) {
  const height = 34;
  const svg = laneSvg(height, label);
  const [low, high] = range(values.concat(baseline ?? []), floor);
  const toY = (v) => height - 3 - (v - low) / (high - low) * (height - 6);
  if (baseline !== null && baseline !== undefined) {
    svg.append(svgEl("line", {x1: 0, x2: LANE_W, y1: toY(baseline), y2: toY(baseline),
                              class: "baseline", "vector-effect": "non-scaling-stroke"}));
  }
  svg.append(svgEl("path", {d: trackPath(values, stepS, durationS, toY), class: `track ${kind}`,
                            "vector-effect": "non-scaling-stroke"}));
  return svg;
}

function sentimentLane(turns, durationS) {
  const height = 30;
  const svg = laneSvg(height, "customer sentiment");
  svg.append(svgEl("line", {x1: 0, x2: LANE_W, y1: height / 2, y2: height / 2, class: "baseline",
                            "vector-effect": "non-scaling-stroke"}));
  for (const turn of turns) {
    if (turn.speaker !== "customer" || turn.sentiment === null || turn.sentiment === undefined) continue;
    const y = height / 2 - turn.sentiment * (height / 2 - 2);
    svg.append(svgEl("rect", {
      x: (turn.start / durationS * LANE_W).toFixed(2),
      width: Math.max(1, (turn.end - turn.start) / durationS * LANE_W).toFixed(2),
      y: Math.min(y, height / 2).toFixed(1), height: Math.max(1, Math.abs(y - height / 2)).toFixed(1),
      class: turn.sentiment < 0 ? "mood-neg" : "mood-pos"}));
  }
  return svg;
}

function markerRow(items, durationS, onPick) {
  const row = el("div", {className: "marker-row"});
  for (const item of items) {
    const left = Math.min(99.5, item.start / durationS * 100);
    const width = Math.max(0.5, (item.end - item.start) / durationS * 100);
    const button = el("button", {type: "button", className: `marker ${item.className}`,
                                 title: item.title, ariaLabel: item.title,
                                 "data-marker-id": item.id, "data-start-s": item.start,
                                 onclick: () => onPick(item)});
    button.style.left = `${left}%`;
    button.style.width = `${Math.min(width, 100 - left)}%`;
    row.append(button);
  }
  return row;
}

function laneRow(label, content) {
  return el("div", {className: "lane"}, el("span", {className: "lane-label"}, label),
            el("div", {className: "lane-body"}, content));
}

function axis(durationS) {
  const row = el("div", {className: "axis", ariaHidden: "true"});
  const stepS = [10, 30, 60, 120, 300, 600].find((s) => durationS / s <= 8) || 1200;
  for (let t = 0; t <= durationS; t += stepS) {
    const tick = el("span", {className: "tick"}, clock(t));
    tick.style.left = `${t / durationS * 100}%`;
    row.append(tick);
  }
  return laneRow("", row);
}

// Draws the timeline into ``container``; returns a function that moves the playhead.
function drawTimeline(container, {report, durationS, markers, onSeek}) {
  const lanes = [];
  for (const party of ["agent", "customer"]) {
    const name = party === "agent" ? "Agent" : "Customer";
    const activity = (report.activity || {})[party] || {};
    const track = (report.tracks || {})[party];
    lanes.push(laneRow(`${name} speech`, speechLane(activity.segments, durationS, party)));
    if (track) {
      lanes.push(laneRow(`${name} loudness`, lineLane(track.loudness_dbfs, track.step_s, durationS, {
        label: `${party} loudness, dBFS`, kind: `loud-${party}`,
        baseline: activity.baseline_loudness_dbfs, floor: [-60, 0]})));
      lanes.push(laneRow(`${name} pitch`, lineLane(track.f0_hz, track.step_s, durationS, {
        label: `${party} pitch, Hz`, kind: `pitch-${party}`,
        baseline: activity.baseline_f0_hz, floor: [80, 300]})));
    }
  }
  lanes.push(laneRow("Customer mood", sentimentLane(report.transcript || [], durationS)));
  for (const group of markers) {
    if (group.items.length) lanes.push(laneRow(group.label, markerRow(group.items, durationS, onSeek)));
  }
  const playhead = el("div", {className: "playhead", ariaHidden: "true"});
  const body = el("div", {className: "lanes"}, ...lanes, axis(durationS), playhead);
  body.addEventListener("click", (event) => {
    if (event.target.closest(".marker")) return;
    const target = event.target.closest(".lane-body");
    if (!target) return;
    const box = target.getBoundingClientRect();
    const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
    onSeek({start: fraction * durationS});
  });
  if (!report.tracks || !Object.keys(report.tracks).length) {
    container.append(el("p", {className: "hint"},
      "Loudness and pitch were not kept for this call (analysed by an earlier version); " +
      "speech and markers are shown."));
  }
  container.append(body);
  return (seconds) => {
    const first = body.querySelector(".lane-body");
    const offset = first ? first.offsetLeft : 0;
    const width = first ? first.offsetWidth : body.offsetWidth;
    playhead.style.left = `${offset + Math.min(1, Math.max(0, seconds / durationS)) * width}px`;
  };
}
