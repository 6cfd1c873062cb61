"""What trainers see: one masking step, :class:`PersonalData`, for every field they can reach.

A call's personal data is known from two sources: the report's redactions (time ranges where
a card, account or phone number, an address or a date of birth was spoken) and the customer's
name. From them :class:`PersonalData` masks

- every string in a report, whatever its key (transcript text and ``text_masked``, words,
  check evidence, coaching messages and quotes, flag reasons), except the few keys that hold
  ids and enum values: a new free-text field is masked without anyone remembering to;
- quotes in findings searches, the same way;
- clip audio: the redacted ranges and every word that is the customer's name are bleeped.

Text is masked in three layers, because each misses something the others catch: words inside
a redacted range become the redaction's label (and a transcript turn's text is rebuilt from
its masked words, so the turn cannot keep what its words lost); the words heard inside those
ranges are replaced wherever they are quoted; :func:`pipeline.redaction.mask_text` finds card,
phone, e-mail and similar numbers in any text; and the customer's name becomes a label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.redaction import Redaction, RedactionKind, mask_text, normalise

NAME_LABEL = "[customer name]"
HIDDEN_KEYS = frozenset({"customer_name", "value", "original"})  # personal data itself
# Values that are ids, enum members or times, never free text; every other string is masked.
STRUCTURAL_KEYS = frozenset({
    "id", "call_id", "agent_id", "team", "type", "speaker", "kind", "skill", "severity",
    "check_id", "event_ids", "evidence_ids", "started_at", "digest", "version", "sha256",
    "model", "language", "status"})
UNMASKED_SECTIONS = frozenset({"config", "rubric"})  # thresholds and versions only
NAME_BLEEP_PAD_S = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class Span:
    start_s: float
    end_s: float
    speaker: str | None
    label: str

    def holds(self, word: Mapping[str, Any], speaker: Any) -> bool:
        mid_s = (float(word["start"]) + float(word["end"])) / 2
        return self.start_s <= mid_s <= self.end_s and self.speaker in (None, speaker)


def name_pattern(customer_name: str | None) -> re.Pattern[str] | None:
    """A pattern for the customer's full name and each part of it of 2+ letters."""
    parts = [part for part in re.split(r"\s+", (customer_name or "").strip()) if len(part) >= 2]
    if not parts:
        return None
    names = sorted({customer_name.strip(), *parts}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)


def redacted_spans(report: Mapping[str, Any]) -> tuple[Span, ...]:
    """The time ranges a report lists under ``redactions``."""
    spans = []
    for item in report.get("redactions") or ():
        try:
            start_s, end_s = float(item["start"]), float(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        kind = str(item.get("kind") or "personal data").replace("_", " ")
        spans.append(Span(start_s=start_s, end_s=end_s, speaker=item.get("speaker"),
                          label=f"[{kind}]"))
    return tuple(spans)


def _timed_words(report: Mapping[str, Any]):
    """(speaker, word) for every timed word of the transcript."""
    for turn in report.get("transcript") or ():
        for word in turn.get("words") or ():
            if isinstance(word, Mapping) and "start" in word and "end" in word:
                yield turn.get("speaker"), word


def heard_personal_data(report: Mapping[str, Any],
                        spans: Sequence[Span]) -> tuple[Redaction, ...]:
    """What was said inside each redacted range, as text to replace wherever it is quoted:
    the run of words, and each word of it that holds a digit."""
    known: list[Redaction] = []
    for span in spans:
        words = [normalise(str(word.get("word", ""))) for speaker, word in _timed_words(report)
                 if span.holds(word, speaker)]
        pieces = {" ".join(w for w in words if w), *(w for w in words if re.search(r"\d", w))}
        kind = RedactionKind.ACCOUNT_NUMBER
        for piece in pieces - {""}:
            known.append(Redaction(kind=kind, speaker=None, start_s=span.start_s,
                                   end_s=span.end_s, text=piece))
    return tuple(known)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalData:
    """The personal data of one call, and how to keep it from a trainer."""

    names: re.Pattern[str] | None
    spans: tuple[Span, ...]
    heard: tuple[Redaction, ...]

    @classmethod
    def of(cls, report: Mapping[str, Any], *, customer_name: str | None) -> PersonalData:
        spans = redacted_spans(report)
        return cls(names=name_pattern(customer_name or report.get("customer_name")),
                   spans=spans, heard=heard_personal_data(report, spans))

    def mask_string(self, text: str) -> str:
        masked = mask_text(text, self.heard)
        return self.names.sub(NAME_LABEL, masked) if self.names is not None else masked

    def mask_report(self, report: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``report`` with personal data masked in all its text, removed elsewhere."""
        return self._mask(report)

    def bleep_spans_s(self, report: Mapping[str, Any]) -> list[tuple[float, float]]:
        """Time ranges to bleep in a trainer's clip: the redactions and the spoken name."""
        ranges = [(span.start_s, span.end_s) for span in self.spans]
        if self.names is not None:
            ranges += [(float(word["start"]) - NAME_BLEEP_PAD_S,
                        float(word["end"]) + NAME_BLEEP_PAD_S)
                       for _speaker, word in _timed_words(report)
                       if self.names.search(normalise(str(word.get("word", ""))))]
        return ranges

    def _mask(self, value: Any, *, key: str | None = None, speaker: Any = None) -> Any:
        if isinstance(value, Mapping):
            return self._mask_mapping(value, speaker=value.get("speaker", speaker))
        if isinstance(value, list):
            return [self._mask(item, key=key, speaker=speaker) for item in value]
        if isinstance(value, str) and key not in STRUCTURAL_KEYS:
            return self.mask_string(value)
        return value

    def _mask_mapping(self, value: Mapping[str, Any], *, speaker: Any) -> dict[str, Any]:
        out = {k: (v if k in UNMASKED_SECTIONS else self._mask(v, key=k, speaker=speaker))
               for k, v in value.items() if k not in HIDDEN_KEYS}
        if isinstance(value.get("words"), list):
            words = [self._mask(w, key="words", speaker=speaker)
                     for w in self._mask_words(value["words"], speaker=speaker)]
            out["words"] = words
            if words and isinstance(value.get("text"), str):
                # The turn's text is what its words say: it cannot keep what they lost.
                out["text"] = self.mask_string(" ".join(
                    str(w.get("word", "")).strip() for w in words if isinstance(w, Mapping)))
        return out

    def _mask_words(self, words: Sequence[Any], *, speaker: Any) -> list[Any]:
        masked = []
        for word in words:
            if isinstance(word, Mapping) and "start" in word and "end" in word:
                hit = next((span.label for span in self.spans if span.holds(word, speaker)), None)
                if hit is not None:
                    word = {**word, "word": hit}
            masked.append(word)
        return masked


def mask_report(report: Mapping[str, Any], *, customer_name: str | None) -> dict[str, Any]:
    """A copy of ``report`` with personal data masked in all its text and removed elsewhere."""
    return PersonalData.of(report, customer_name=customer_name).mask_report(report)
