"""What Whisper's segments become: the quality checks that drop or retry them, and words put
back on the call's clock as utterances. Plain Python on faster-whisper's Segment and Word
values (read by attribute); ``pipeline.transcribe`` runs the model.
"""

from __future__ import annotations

import dataclasses

from pipeline.speech_packing import PackedSpeech
from pipeline.types import Speaker, Utterance, Word

# Whisper's own "silent segment" rule (openai/whisper transcribe.py: no_speech_threshold 0.6
# together with logprob_threshold -1.0); the batched pipeline reports both but applies neither.
MAX_NO_SPEECH_PROBABILITY = 0.6
MIN_AVG_LOGPROB = -1.0
# Whisper's compression_ratio_threshold: text that gzips this well is a repetition loop.
MAX_COMPRESSION_RATIO = 2.4
# A clip with this much speech or more, transcribed at under MIN_WORDS_PER_S, lost sentences:
# measured on the sample calls, speech without its pauses runs at 3-4.5 words a second, and
# greedy decoding sometimes skips a sentence or stops after the first word.
RETRY_MIN_SPEECH_S = 2.0
MIN_WORDS_PER_S = 2.0


def segments_in(segments: list, clip: tuple[float, float]) -> list:
    """The segments decoded from ``clip``; by midpoint, since edges are rounded."""
    start_s, end_s = clip
    return [segment for segment in segments if start_s <= (segment.start + segment.end) / 2 < end_s]


def clip_looks_right(clip: tuple[float, float], segments: list, packed: PackedSpeech) -> bool:
    """Every segment passes Whisper's checks, and a clip with speech got enough words for it.

    The speaking rate counts the party's own speech in the clip (``SpeechPiece.speech_s``), not
    the pauses Whisper hears with it: a hesitant caller's bridged pauses made a clip of the
    245 s real service call look short of words (24 in 14.7 s heard, 11.6 s of it speech),
    and its second decoding (a whole 30 s window encoded again: 0.8 CPU-s, 7 % of that call's
    Whisper time) gave back the same 24 words.
    """
    speech_s = sum(piece.speech_s for piece in packed.pieces
                   if clip[0] <= piece.packed_start_s < clip[1])
    if not all(is_credible(segment) for segment in segments):
        return False
    words = sum(len(segment.words or ()) for segment in segments)
    return speech_s < RETRY_MIN_SPEECH_S or words >= MIN_WORDS_PER_S * speech_s


def shifted(segment, offset_s: float):  # noqa: ANN001, ANN202 - faster_whisper Segment
    """A segment and its words moved ``offset_s`` later."""
    words = [dataclasses.replace(word, start=word.start + offset_s, end=word.end + offset_s)
             for word in segment.words or ()]
    return dataclasses.replace(segment, start=segment.start + offset_s,
                               end=segment.end + offset_s,
                               words=words if segment.words is not None else None)


def is_credible(segment) -> bool:  # noqa: ANN001 - a faster_whisper Segment
    """Whisper's own rules for a window that holds no speech or loops on itself."""
    silent = (segment.no_speech_prob > MAX_NO_SPEECH_PROBABILITY
              and segment.avg_logprob < MIN_AVG_LOGPROB)
    looping = segment.compression_ratio > MAX_COMPRESSION_RATIO
    return not (silent or looping)


def to_utterances(words: list, packed: PackedSpeech, *, speaker: Speaker) -> tuple[Utterance, ...]:
    """Map packed word times back to the call and group words between long pauses."""
    groups: list[list[Word]] = []
    last_group = None
    for raw in words:
        text = raw.word.strip()
        if not any(char.isalnum() for char in text):  # a lone "." or "-" is no word
            continue
        piece = packed.piece_of_word(raw.start, raw.end)
        start_s, end_s = piece.to_call_time(raw.start), piece.to_call_time(raw.end)
        word = Word(word=text, start_s=start_s, end_s=max(start_s, end_s),
                    probability=float(raw.probability))
        if piece.group != last_group:
            groups.append([])
            last_group = piece.group
        groups[-1].append(word)
    return tuple(Utterance(speaker=speaker, start_s=group[0].start_s, end_s=group[-1].end_s,
                           text=" ".join(word.word for word in group), words=tuple(group))
                 for group in groups)


def merge_transcripts(*channels: tuple[Utterance, ...]) -> tuple[Utterance, ...]:
    """Both parties' utterances in one chronological sequence (by start, then end)."""
    return tuple(sorted((utterance for channel in channels for utterance in channel),
                        key=lambda utterance: (utterance.start_s, utterance.end_s)))
