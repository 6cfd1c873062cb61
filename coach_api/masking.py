"""Reports as trainers see them: personal data masked in every piece of text.

Three layers, because each misses something the others catch: words inside a redacted time
range are replaced by the redaction's label; :func:`pipeline.redaction.mask_text` finds card,
phone, e-mail and similar numbers in any text; and the customer's name becomes a label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.redaction import mask_text

NAME_LABEL = "[customer name]"
TEXT_KEYS = frozenset({"text", "quote", "message", "reason", "word"})
HIDDEN_KEYS = frozenset({"customer_name", "value", "original"})  # personal data itself


def name_pattern(customer_name: str | None) -> re.Pattern[str] | None:
    """A pattern for the customer's full name and each part of it of 2+ letters."""
    parts = [part for part in re.split(r"\s+", (customer_name or "").strip()) if len(part) >= 2]
    if not parts:
        return None
    names = sorted({customer_name.strip(), *parts}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)


def mask_string(text: str, *, names: re.Pattern[str] | None) -> str:
    masked = mask_text(text)
    return names.sub(NAME_LABEL, masked) if names is not None else masked


def redacted_spans(report: Mapping[str, Any]) -> list[tuple[float, float, str | None, str]]:
    """``(start_s, end_s, speaker, label)`` of each redaction a report lists."""
    spans = []
    for item in report.get("redactions") or ():
        try:
            start_s, end_s = float(item["start"]), float(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        kind = str(item.get("kind") or item.get("type") or "personal data").replace("_", " ")
        spans.append((start_s, end_s, item.get("speaker"), f"[{kind}]"))
    return spans


def _mask_words(words: Sequence[Any], *, speaker: Any, spans) -> list[Any]:
    masked = []
    for word in words:
        if isinstance(word, Mapping) and "start" in word and "end" in word:
            mid_s = (float(word["start"]) + float(word["end"])) / 2
            hit = next((label for start_s, end_s, who, label in spans
                        if start_s <= mid_s <= end_s and who in (None, speaker)), None)
            if hit is not None:
                word = {**word, "word": hit}
        masked.append(word)
    return masked


def _mask(value: Any, *, names, spans, key: str | None = None, speaker: Any = None) -> Any:
    if isinstance(value, Mapping):
        speaker = value.get("speaker", speaker)
        out = {k: _mask(v, names=names, spans=spans, key=k, speaker=speaker)
               for k, v in value.items() if k not in HIDDEN_KEYS}
        if isinstance(value.get("words"), list):
            out["words"] = [_mask(w, names=names, spans=spans, key="words", speaker=speaker)
                            for w in _mask_words(value["words"], speaker=speaker, spans=spans)]
        return out
    if isinstance(value, list):
        return [_mask(item, names=names, spans=spans, key=key, speaker=speaker) for item in value]
    if isinstance(value, str) and key in TEXT_KEYS:
        return mask_string(value, names=names)
    return value


def mask_report(report: Mapping[str, Any], *, customer_name: str | None) -> dict[str, Any]:
    """A copy of ``report`` with personal data masked in all its text and removed elsewhere."""
    return _mask(report, names=name_pattern(customer_name or report.get("customer_name")),
                 spans=redacted_spans(report))
