"""Stable error kinds: what a failed call is stored with, whatever the classes are called."""

from __future__ import annotations

import pytest

from pipeline.errors import (CallcoachError, ConfigError, ErrorKind, InvalidAudioError,
                             InvalidMetadataError, StoreError)


@pytest.mark.parametrize("error, kind", [
    (InvalidAudioError("x"), ErrorKind.INVALID_AUDIO),
    (ConfigError("x"), ErrorKind.CONFIG),
    (InvalidMetadataError("x"), ErrorKind.INVALID_METADATA),
    (StoreError("x"), ErrorKind.STORE),
    (CallcoachError("x"), ErrorKind.OTHER),
    (FileNotFoundError("x"), ErrorKind.IO),
    (ValueError("x"), ErrorKind.UNEXPECTED),
])
def test_each_error_has_a_kind(error, kind):
    assert ErrorKind.of(error) is kind


def test_a_renamed_subclass_keeps_its_kind():
    class BrokenHeaderError(InvalidAudioError):
        pass

    assert ErrorKind.of(BrokenHeaderError("x")) is ErrorKind.INVALID_AUDIO


@pytest.mark.parametrize("stored, kind", [
    ("InvalidAudioError", ErrorKind.INVALID_AUDIO),  # what earlier versions stored
    ("InvalidMetadataError", ErrorKind.INVALID_METADATA),
    ("FileNotFoundError", ErrorKind.IO),
    ("KeyError", ErrorKind.UNEXPECTED),
    (None, None),
])
def test_stored_kinds_keep_their_meaning(stored, kind):
    assert ErrorKind.from_stored(stored) is kind


def test_only_audio_and_config_failures_repeat():
    assert {kind for kind in ErrorKind if kind.deterministic} == {ErrorKind.INVALID_AUDIO,
                                                                  ErrorKind.CONFIG}
