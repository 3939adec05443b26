"""Config loading: precedence, unknown keys, wrong types, and that config.toml documents every option."""

import dataclasses
import tomllib
from pathlib import Path

import pytest

from restitution.errors import ConfigError
from restitution.options import PipelineOptions, load_options

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_precedence_cli_over_session_over_config(tmp_path):
    config = write(tmp_path / "config.toml", 'language = "en"\noffset = 3\n[asr]\nbeam_size = 2\nthreads = 1\n')
    session = {"language": "fr", "asr": {"beam_size": 4}, "title": "Une séance"}
    options = load_options(config, session, "session.toml", {"asr": {"beam_size": 7}})
    assert options.language == "fr"  # session beats config
    assert options.asr.beam_size == 7  # CLI beats session
    assert options.asr.threads == 1  # config beats default
    assert options.offset == 3.0  # numbers become seconds
    assert options.diarization.engine == "embedded"  # default survives


def test_unknown_key_names_key_and_file(tmp_path):
    config = write(tmp_path / "my.toml", "[asr]\nbeam = 3\n")
    with pytest.raises(ConfigError) as e:
        load_options(config)
    assert str(e.value) == f"{config}: unknown key 'asr.beam'"


def test_unknown_section(tmp_path):
    config = write(tmp_path / "c.toml", "[nonsense]\nx = 1\n")
    with pytest.raises(ConfigError, match="unknown key 'nonsense'"):
        load_options(config)


def test_wrong_type_in_session_toml_names_the_file():
    with pytest.raises(ConfigError) as e:
        load_options(None, {"asr": {"beam_size": "five"}}, "recordings/x/session.toml")
    assert str(e.value) == "recordings/x/session.toml: 'asr.beam_size' must be int, not str ('five')"


def test_bad_offset_string():
    with pytest.raises(ConfigError, match="'offset' must be"):
        load_options(None, None, overrides={"offset": "soon"})


def test_offset_string_number_from_cli():
    assert load_options(None, None, overrides={"offset": "12.5"}).offset == 12.5


def test_invalid_toml(tmp_path):
    config = write(tmp_path / "c.toml", "language = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_options(config)


def _leaf_keys(obj, prefix=""):
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            yield from _leaf_keys(value, f"{f.name}.")
        else:
            yield f"{prefix}{f.name}"


def test_config_toml_documents_every_option():
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    load_options(ROOT / "config.toml")  # the shipped file is valid
    for key in _leaf_keys(PipelineOptions()):
        section, _, leaf = key.rpartition(".")
        # Optional counts are documented as commented-out examples.
        present = leaf in (data.get(section, {}) if section else data) or f"# {leaf} =" in text
        assert present, f"config.toml does not document {key}"
