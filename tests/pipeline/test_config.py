"""Config: defaults, TOML loading, unknown keys and ranges rejected, a stable digest."""

import pytest

from pipeline import config
from pipeline.errors import ConfigError


def test_defaults_are_valid_and_digest_is_stable():
    assert config.Config().digest == config.Config().digest
    assert config.Config().turns.long_silence_s == 5.0


def test_digest_changes_with_any_value():
    changed = config.Config().replace("turns", long_silence_s=6.0)
    assert changed.digest != config.Config().digest


def test_toml_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "callcoach.toml"
    path.write_text("[raised_voice]\nmin_delta_db = 8.0\n")
    loaded = config.load(path)
    assert loaded.raised_voice.min_delta_db == 8.0
    assert loaded.raised_voice.min_delta_semitones == config.RaisedVoiceConfig().min_delta_semitones


@pytest.mark.parametrize("text, message", [
    ("[turns]\nlong_silence_s = 0.1\n", r"turns.long_silence_s = 0.1 is outside"),
    ("[turns]\nlong_silence = 5\n", r"unknown key\(s\) \['long_silence'\] in \[turns\]"),
    ("[speed]\nfast = true\n", r"unknown config section"),
    ("[transcription]\ndevice = 'tpu'\n", r"transcription.device = 'tpu' is not one of"),
    ("[decode]\nagent_channel = 2\n", r"decode.agent_channel = 2 is outside"),
    ("[decode]\nagent_channel = 'left'\n", r"must be a number"),
    ("[transcription]\nbatch_size = 2.5\n", r"must be a whole number"),
    ("turns = 3\n", r"\[turns\] must be a table"),
    ("[turns\n", r"not valid TOML"),
])
def test_bad_config_files_are_rejected_with_the_key_named(tmp_path, text, message):
    path = tmp_path / "callcoach.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        config.load(path)


def test_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(tmp_path / "absent.toml")
