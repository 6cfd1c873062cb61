"""How far normal (not strong) acted anger stands out of a calm real call, per sex.

Raised voice is judged against each speaker's own calm baseline. This measures, for every clip
of the speaker under test in the acted calls of ``bench/accuracy.py`` (RAVDESS, TESS), and for
every phrase of each party of the calm real call (``aws_call40``; speech joined across pauses up
to 0.3 s, at least 0.5 s voiced), against that party's baseline:

- ``dB``: median loudness of the voiced frames; ``dB p90``: their 90th percentile (the loudest
  syllables); ``st``: median pitch, semitones; ``voiced s``: seconds of voiced speech;
- ``tilt``: median alpha ratio of the voiced frames (energy 1-3.8 kHz over 50 Hz-1 kHz,
  ``audio_features.effort``), dB over its median on the party's calm voiced speech (outside
  raised-voice events): the spectrum flattens with vocal effort, whatever the channel's gain.

It then prints the headroom: the share of normal-anger clips that no calm phrase of the real
call matches or exceeds on every measure at once, first on level, pitch and length alone, then
with the tilt as well. A rule that finds more raised voice the louder, higher, longer (and
flatter) the speech is cannot catch a larger share without a false event on that calm call;
and, since another calm call differs from this one, the same share with every calm phrase 1 dB
louder, 1 semitone higher and 1 dB flatter. Run: .venv/bin/python bench/raised_headroom.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audio_features import effort, intervals  # noqa: E402
from bench import realdev  # noqa: E402
from pipeline.analyze import analyze_acoustics  # noqa: E402
from pipeline.config import Config  # noqa: E402
from pipeline.decode import decode_call  # noqa: E402
from pipeline.types import Acoustics, CallAudio, ProsodyTrack, Speaker  # noqa: E402

LEVEL_PITCH = ("dB", "dB p90", "st", "voiced s")
MEASURES = (*LEVEL_PITCH, "tilt")
PHRASE_PAUSE_S = 0.3
PHRASE_MIN_VOICED_S = 0.5
MARGIN_DB = 1.0
MARGIN_ST = 1.0
MARGIN_TILT_DB = 1.0


def phrase_measures(track: ProsodyTrack, tilt_db: np.ndarray, start_s: float,
                    end_s: float) -> dict[str, float] | None:
    """The measures of the party's voiced speech in ``[start_s, end_s)``; None if unvoiced."""
    span = slice(int(np.ceil(start_s / track.hop_s)), int(np.ceil(end_s / track.hop_s)))
    voiced = track.speech_mask[span] & np.isfinite(track.f0_hz[span])
    if not voiced.any():
        return None
    level = track.loudness_dbfs[span][voiced] - track.baseline_loudness_dbfs
    pitch = 12 * np.log2(np.median(track.f0_hz[span][voiced]) / track.baseline_f0_hz)
    return {"dB": float(np.median(level)), "dB p90": float(np.percentile(level, 90)),
            "st": float(pitch), "voiced s": float(voiced.sum() * track.hop_s),
            "tilt": float(np.nanmedian(tilt_db[span][voiced]))}


def relative_tilt_db(audio: CallAudio, acoustics: Acoustics, speaker: Speaker,
                     config: Config) -> np.ndarray:
    """The party's alpha ratio per voiced speech frame, dB over its median on their calm
    voiced speech (the frames outside their raised-voice events), like the level baseline."""
    track = acoustics.prosody[speaker]
    voiced = track.speech_mask & np.isfinite(track.f0_hz)
    tilt = effort.alpha_ratio_db(audio.channel(speaker), sample_rate_hz=audio.sample_rate_hz,
                                 frame_s=config.prosody.frame_s, hop_s=track.hop_s,
                                 frames=voiced)
    calm = voiced.copy()
    for event in acoustics.events:
        if event.type.value == "raised_voice" and event.speaker is speaker:
            first, stop = (int(round(t / track.hop_s)) for t in (event.start_s, event.end_s))
            calm[first:stop] = False
    return tilt - np.nanmedian(tilt[calm])


def acted_rows(config: Config, folder: Path) -> list[dict]:
    """One row per clip of the speaker under test (channel 0, the agent side) in each call."""
    rows = []
    ravdess = realdev.ravdess_clips()
    for corpus, clips in (("RAVDESS", ravdess), ("TESS", realdev.tess_clips())):
        for call in realdev.build_acted_calls(clips, ravdess, folder / corpus):
            audio = decode_call(call.path, config=config.decode)
            acoustics = analyze_acoustics(audio, config)
            track = acoustics.prosody[Speaker.AGENT]
            tilt = relative_tilt_db(audio, acoustics, Speaker.AGENT, config)
            for placed in (p for p in call.placed if p.channel == 0):
                measures = phrase_measures(track, tilt, placed.start_s, placed.end_s)
                if measures is None:
                    continue
                clip = placed.clip
                kind = f"angry {clip.intensity}".strip() if clip.emotion == "angry" else "neutral"
                rows.append({"group": f"{corpus} {clip.sex} {kind}",
                             "flagged": _flagged(acoustics, placed.start_s, placed.end_s),
                             **measures})
    return rows


def real_call_rows(config: Config) -> list[dict]:
    """One row per phrase of each party of the calm real call."""
    path = realdev.REALDEV / "aws_call40" / "Auto_Repairs_40_UTC_stereo_L-agent_R-caller.wav"
    audio = decode_call(path, config=config.decode)
    acoustics = analyze_acoustics(audio, config)
    rows = []
    for speaker in Speaker:
        track = acoustics.prosody[speaker]
        tilt = relative_tilt_db(audio, acoustics, speaker, config)
        phrases = intervals.merge_close(acoustics.activity[speaker].spans,
                                        max_gap_s=PHRASE_PAUSE_S)
        for start_s, end_s in phrases:
            measures = phrase_measures(track, tilt, start_s, end_s)
            if measures and measures["voiced s"] >= PHRASE_MIN_VOICED_S:
                rows.append({"group": f"real call {speaker.value}",
                             "flagged": _flagged(acoustics, start_s, end_s), **measures})
    return rows


def _flagged(acoustics: Acoustics, start_s: float, end_s: float) -> bool:
    return any(event.type.value == "raised_voice" and event.start_s < end_s
               and start_s < event.end_s for event in acoustics.events)


def spread_table(rows: list[dict]) -> str:
    lines = [f"{'group':32s} {'n':>4s} {'raised':>7s}  "
             + "  ".join(f"{m + ' p50/p90/max':>23s}" for m in MEASURES)]
    for group in sorted({row["group"] for row in rows}):
        chosen = [row for row in rows if row["group"] == group]
        cells = []
        for measure in MEASURES:
            values = np.array([row[measure] for row in chosen])
            cells.append(f"{np.median(values):7.1f}{np.percentile(values, 90):8.1f}"
                         f"{values.max():8.1f}")
        flagged = np.mean([row["flagged"] for row in chosen])
        lines.append(f"{group:32s} {len(chosen):4d} {flagged:7.2f}  " + "  ".join(cells))
    return "\n".join(lines)


def headroom_table(rows: list[dict], calm: list[dict]) -> str:
    # Another calm call differs from this one; the margin columns let every calm phrase be
    # MARGIN_DB louder (median and p90), MARGIN_ST higher and MARGIN_TILT_DB flatter.
    margin = [{**phrase, "dB": phrase["dB"] + MARGIN_DB, "dB p90": phrase["dB p90"] + MARGIN_DB,
               "st": phrase["st"] + MARGIN_ST, "tilt": phrase["tilt"] + MARGIN_TILT_DB}
              for phrase in calm]
    lines = [f"{'clips':32s} {'n':>4s} {'raised now':>11s}   level, pitch, length: "
             f"{'headroom':>9s} {'margin':>7s}   and tilt: {'headroom':>9s} {'margin':>7s}"]
    for group in sorted({row["group"] for row in rows if "angry" in row["group"]}):
        chosen = [row for row in rows if row["group"] == group]
        lines.append(f"{group:32s} {len(chosen):4d} "
                     f"{np.mean([row['flagged'] for row in chosen]):11.2f} {'':24s}"
                     f"{_free_share(chosen, calm, LEVEL_PITCH):9.2f} "
                     f"{_free_share(chosen, margin, LEVEL_PITCH):7.2f} {'':13s}"
                     f"{_free_share(chosen, calm, MEASURES):9.2f} "
                     f"{_free_share(chosen, margin, MEASURES):7.2f}")
    return "\n".join(lines)


def _free_share(clips: list[dict], calm: list[dict], measures: tuple[str, ...]) -> float:
    """Share of ``clips`` that no phrase of ``calm`` matches or exceeds on all ``measures``."""
    return float(np.mean([not any(all(phrase[m] >= clip[m] for m in measures)
                                  for phrase in calm) for clip in clips]))


def main() -> None:
    if not realdev.available():
        sys.exit(f"{realdev.REALDEV} is absent: put the realdev recordings there to measure")
    config = Config()
    with tempfile.TemporaryDirectory(prefix="callcoach-headroom-") as folder:
        acted = acted_rows(config, Path(folder))
    calm = real_call_rows(config)
    print("Each clip or phrase against its speaker's calm baseline (dB, semitones, seconds, "
          "tilt dB):")
    print(spread_table(acted + calm))
    print("\nHeadroom: share of angry clips no calm phrase of the real call matches or exceeds "
          f"on every measure (margin: calm phrases {MARGIN_DB:.0f} dB louder, {MARGIN_ST:.0f} "
          f"semitone higher, tilt {MARGIN_TILT_DB:.0f} dB flatter)")
    print(headroom_table(acted, calm))


if __name__ == "__main__":
    main()
