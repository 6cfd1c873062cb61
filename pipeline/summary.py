"""A short, readable summary of one report for the terminal."""

from __future__ import annotations

from pipeline.call_report import CallReport, CoachingNote, ReportEvent, TalkMetrics

EVENT_LABELS = {
    "interruption": "interrupted",
    "backchannel": "backchannel",
    "raised_voice": "raised voice",
    "long_silence": "long silence",
}


def clock(seconds: float) -> str:
    """Seconds as m:ss (or h:mm:ss), the way people read call times."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def summarise_report(report: CallReport) -> str:
    """A short coaching note: talk balance, timed findings, flags, then strengths and changes."""
    lines = [_headline(report)]
    lines += [f"  note: {note}" for note in report.notes]
    lines += _talk_lines(report.metrics)
    lines += [f"  {clock(event.start)}  {_describe(event)}" for event in report.events
              if event.type != "backchannel"]
    backchannels = [e for e in report.events if e.type == "backchannel"]
    if backchannels:
        lines.append(f"  backchannels (active listening): {_count_by_speaker(backchannels)}")
    met = [check_id for check_id, outcome in report.checks.items() if outcome.met]
    lines += [f"  checks met: {', '.join(met)}"] if met else []
    mood = report.sentiment.customer.verdict if report.sentiment.customer else None
    if mood and mood != "not_enough_speech":
        lines.append(f"  customer mood: {mood.replace('_', ' ')}")
    lines += [f"  flag [{flag.severity}]: {flag.reason}" for flag in report.flags]
    lines += _coaching_lines(report.coaching)
    return "\n".join(lines)


def _coaching_lines(items: tuple[CoachingNote, ...]) -> list[str]:
    lines = []
    for kind, title in (("strength", "went well"), ("improve", "to work on")):
        chosen = [item for item in items if item.kind == kind]
        if chosen:
            lines.append(f"  {title}:")
            lines += [f"    - {_at(item)}{item.message}" for item in chosen]
    return lines


def _at(item: CoachingNote) -> str:
    return f"({clock(item.start)}) " if item.start is not None else ""


def _headline(report: CallReport) -> str:
    overall = report.scores.overall
    score = f", score {overall:g}" if overall is not None else ""
    agent = f", agent {report.agent_id}" if report.agent_id else ""
    return f"{report.call_id} ({clock(report.duration_s or 0.0)}{agent}{score})"


def _talk_lines(metrics: TalkMetrics) -> list[str]:
    parts = []
    for party, m in (("agent", metrics.agent), ("customer", metrics.customer)):
        latency = m.median_response_latency_s
        latency_text = f", replies after {latency:.1f} s" if latency is not None else ""
        parts.append(f"  {party}: talks {m.talk_share:.0%} ({m.talk_time_s:.0f} s), "
                     f"longest monologue {m.longest_monologue_s:.0f} s{latency_text}")
    call = metrics.call
    parts.append(f"  silence of 3 s or more: {call.non_talk_time_s:.0f} s "
                 f"({call.non_talk_share:.0%} of the call)")
    return parts


def _describe(event: ReportEvent) -> str:
    details, who = event.details, event.speaker
    if event.type == "interruption":
        outcome = "who stopped" if details.get("yielded") else "who kept talking"
        return (f"{who} interrupted the {details['interrupted']} ({outcome}), "
                f"{details['overlap_s']:.1f} s of talk-over")
    if event.type == "raised_voice":
        return (f"{who} raised voice for {event.end - event.start:.1f} s "
                f"(+{details['delta_db']:.0f} dB, +{details['delta_semitones']:.1f} semitones)")
    if event.type == "long_silence":
        return f"nobody spoke for {details['duration_s']:.0f} s"
    return f"{who} {EVENT_LABELS.get(event.type, event.type)}"


def _count_by_speaker(events: list[ReportEvent]) -> str:
    counts = {party: sum(e.speaker == party for e in events) for party in ("agent", "customer")}
    return ", ".join(f"{party} {count}" for party, count in counts.items() if count)
