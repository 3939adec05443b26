"""Config loading: precedence, unknown keys, wrong types, and that config.toml documents every option."""

import dataclasses
import math
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


def _numeric_keys():
    import typing

    def walk(obj, prefix=""):
        hints = typing.get_type_hints(type(obj))
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                yield from walk(value, f"{f.name}.")
            elif {int, float} & set(typing.get_args(hints[f.name]) or (hints[f.name],)):
                yield f"{prefix}{f.name}"

    return list(walk(PipelineOptions()))


def test_every_numeric_option_has_a_range():
    from restitution.options import RANGES

    assert set(_numeric_keys()) == set(RANGES)


def _nested(key, value):
    section, _, leaf = key.rpartition(".")
    return {section: {leaf: value}} if section else {leaf: value}


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("offset", math.nan, "'offset' must be a finite number, not nan"),
        ("offset", math.inf, "'offset' must be a finite number, not inf"),
        ("offset", 1e9, "'offset' must be between -86400 and 86400, not 1e+09"),
        ("asr.threads", 100000, "'asr.threads' must be between 0 and 256 (0: every core), not 100000"),
        ("asr.beam_size", 0, "'asr.beam_size' must be between 1 and 32, not 0"),
        ("asr.batch_size", -1, "'asr.batch_size' must be between 0 and 256, not -1"),
        ("export.caption_max_chars", 0, "'export.caption_max_chars' must be between 10 and 200, not 0"),
        ("export.caption_max_lines", 0, "'export.caption_max_lines' must be between 1 and 10, not 0"),
        ("export.caption_max_seconds", -math.inf, "'export.caption_max_seconds' must be a finite number, not -inf"),
        ("voices.threshold", 1.5, "'voices.threshold' must be between 0 and 1, not 1.5"),
        ("offset_search.min_confidence", math.nan, "'offset_search.min_confidence' must be a finite number, not nan"),
        ("chapters.snap_window", -1, "'chapters.snap_window' must be between 0 and 600, not -1"),
        ("diarization.num_speakers", 0, "'diarization.num_speakers' must be between 1 and 200, not 0"),
        (
            "diarization.threads",
            10**30,
            "'diarization.threads' must be between 0 and 256 (0: every core), not 100000000000000000000...",
        ),
        (
            "export.mp3_bitrate",
            "12x",
            '\'export.mp3_bitrate\' must be kilobits per second from "8k" to "320k" ("128k"), not \'12x\'',
        ),
        (
            "export.mp3_bitrate",
            "999k",
            '\'export.mp3_bitrate\' must be kilobits per second from "8k" to "320k" ("128k"), not \'999k\'',
        ),
        ("outputs", "", "'outputs' must name a folder, not \"\""),
        ("index", "a\x00b", "'index' holds a NUL character"),
        (
            "voices.unnamed_label",
            "Speaker\x1b[31m",
            "'voices.unnamed_label' holds a control character ('Speaker\\x1b[31m')",
        ),
    ],
)
def test_out_of_range_values_name_the_key_and_the_file(key, value, message):
    with pytest.raises(ConfigError) as e:
        load_options(None, _nested(key, value), "recordings/x/session.toml")
    assert str(e.value) == f"recordings/x/session.toml: {message}"


def test_toml_nan_and_inf_are_refused_with_the_file(tmp_path):
    for text, key in (
        ("offset = nan\n", "offset"),
        ("[export]\ncaption_max_seconds = inf\n", "export.caption_max_seconds"),
    ):
        config = write(tmp_path / "c.toml", text)
        with pytest.raises(ConfigError) as e:
            load_options(config)
        assert str(e.value).startswith(f"{config}: '{key}' must be a finite number")


def test_offset_given_as_text_on_the_command_line_must_be_finite():
    for text in ("nan", "inf", "-Infinity", "1e400"):
        with pytest.raises(ConfigError, match="^command line: 'offset' must be a finite number"):
            load_options(None, None, overrides={"offset": text})


def test_zero_threads_means_every_core():
    import os

    options = load_options(None, {"asr": {"threads": 0}, "diarization": {"threads": 0}})
    assert options.asr.threads == options.diarization.threads == (os.cpu_count() or 1)


def test_bounds_that_contradict_each_other():
    with pytest.raises(
        ConfigError, match="'diarization.min_speakers' \\(5\\) is above 'diarization.max_speakers' \\(2\\)"
    ):
        load_options(None, {"diarization": {"min_speakers": 5, "max_speakers": 2}})
    with pytest.raises(ConfigError, match="'diarization.num_speakers' \\(9\\) is outside"):
        load_options(None, {"diarization": {"num_speakers": 9, "max_speakers": 4}})
    with pytest.raises(
        ConfigError, match="'offset_search.search_min' \\(10\\) must be below 'offset_search.search_max' \\(5\\)"
    ):
        load_options(None, {"offset_search": {"search_min": 10.0, "search_max": 5.0}})


def test_language_codes_are_checked_and_normalised(tmp_path):
    assert load_options(None, {"language": " FR "}).language == "fr"
    config = write(tmp_path / "c.toml", 'language = "xx"\n')
    with pytest.raises(ConfigError) as e:
        load_options(config)
    assert str(e.value).startswith(f"{config}: 'language' = 'xx' is not a language code Whisper knows; give a code")


def test_shipped_config_detects_the_language():
    # English audio run from the repository root must not be forced into French.
    assert load_options(ROOT / "config.toml").language == ""
    example = tomllib.loads((ROOT / "recordings" / "example" / "session.toml").read_text(encoding="utf-8"))
    assert example["language"] == "fr"  # the French example says so itself


def test_unreadable_or_huge_config_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read: Is a directory"):
        load_options(tmp_path)
    deep = write(tmp_path / "deep.toml", "x = " + "[" * 50000)
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_options(deep)
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b'\xef\xbb\xbflanguage = "en"\n')  # as Windows Notepad saves it
    assert load_options(bom).language == "en"
    with pytest.raises(ConfigError, match="larger than 1 MB"):
        load_options(Path("/dev/zero"))
