"""Language: codes checked with a suggestion; a warning when the speech is clearly not the
language set (real English and French speech, the real Whisper model)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from restitution import language
from restitution.errors import ConfigError


def test_the_codes_are_the_ones_faster_whisper_accepts():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(language.LANGUAGES) == set(_LANGUAGE_CODES)


@pytest.mark.parametrize("value, code", [("fr", "fr"), ("FR", "fr"), (" en ", "en"), ("", ""), ("yue", "yue")])
def test_codes_accepted(value, code):
    assert language.code(value) == code


@pytest.mark.parametrize(
    "value, guess",
    [("french", "fr"), ("French", "fr"), ("français", "fr"), ("fr-FR", "fr"), ("fr_CA", "fr"), ("fra", "fr"),
     ("englsh", "en"), ("anglais", "en"), ("german", "de"), ("castilian", "es")],
)  # fmt: skip
def test_names_and_locales_get_a_suggestion(value, guess):
    with pytest.raises(ConfigError) as e:
        language.code(value)
    assert str(e.value) == (
        f"'language' = {value!r} is not a language code Whisper knows (did you mean '{guess}'?); "
        'give a code such as fr, en, de, es, it, nl, pt, or "" to detect the language'
    )


def test_nonsense_gets_examples_only():
    with pytest.raises(ConfigError) as e:
        language.code("qq")
    assert "did you mean" not in str(e.value) and "fr, en, de" in str(e.value)


def _load(path: Path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.float32).copy()


@pytest.fixture(scope="module")
def transcriber():
    from restitution.options import ASROptions
    from restitution.transcribe import get_transcriber

    return get_transcriber(ASROptions())


@pytest.mark.slow
def test_english_with_french_set_warns(shared_eval, transcriber, caplog):
    audio = _load(shared_eval / "jfk_en" / "jfk.flac")
    with caplog.at_level(logging.WARNING, logger="restitution"):
        found = language.check_spoken(audio, transcriber, "fr")
    assert found is not None and found.language == "en" and found.probability > 0.9
    (record,) = caplog.records
    message = record.getMessage()
    assert "'en'" in message and f"probability {found.probability:.2f}" in message
    assert "--language en" in message and 'language = ""' in message and "\n" not in message


@pytest.mark.slow
def test_an_english_meeting_with_french_set_warns_too(shared_eval, transcriber):
    # Far-field meeting speech: English is only 0.6-0.9 likely (Welsh takes the rest), but
    # French is hundreds of times less likely than English.
    audio = _load(shared_eval / "ami_es2004_mix_4spk_en" / "mixture.flac")
    found = language.check_spoken(audio, transcriber, "fr")
    assert found is not None and found.language == "en" and found.of("fr") * language.WARN_RATIO < found.probability


@pytest.mark.slow
def test_french_with_french_set_is_quiet(shared_eval, transcriber, caplog):
    clips = sorted((shared_eval / "fleurs_fr").glob("*.ogg"))
    silence = np.zeros(16000 * 2, np.float32)
    audio = np.concatenate([part for clip in clips for part in (_load(clip), silence)])
    with caplog.at_level(logging.WARNING, logger="restitution"):
        assert language.check_spoken(audio, transcriber, "fr") is None
    assert caplog.records == []
    found = language.detect(audio, transcriber)
    assert found is not None and found.language == "fr" and found.seconds == language.CHECK_SECONDS


@pytest.mark.slow
def test_silence_is_not_judged(transcriber):
    assert language.detect(np.zeros(16000 * 20, np.float32), transcriber) is None


@pytest.mark.slow
def test_the_cli_warns_and_still_does_what_it_was_told(shared_eval, tmp_path):
    (tmp_path / "agenda.txt").write_text("- 00:00:00 : Inaugural address by John F. Kennedy\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", "run", str(shared_eval / "jfk_en" / "jfk.flac"), "--agenda", "agenda.txt",
         "--language", "fr", "--offset", "0", "--diarization", "none", "--out", "outputs"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "sound like English ('en'" in warnings[0] and "--language en" in warnings[0]
    session = (tmp_path / "outputs" / "jfk" / "session.json").read_text(encoding="utf-8")
    assert '"language": "fr"' in session  # told French, it transcribed as French


def test_unknown_language_on_the_command_line_is_one_line(tmp_path, short_french_wav):
    (tmp_path / "agenda.txt").write_text("- 00:00:00 : Ouverture\n", encoding="utf-8")
    for value, hint in (("french", " (did you mean 'fr'?)"), ("xx", "")):
        proc = subprocess.run(
            [sys.executable, "-m", "restitution", "run", str(short_french_wav), "--agenda", "agenda.txt",
             "--language", value, "--out", "outputs"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 1
        assert proc.stderr == (
            f"error: command line: 'language' = '{value}' is not a language code Whisper knows{hint}; "
            'give a code such as fr, en, de, es, it, nl, pt, or "" to detect the language\n'
        )
        assert not (tmp_path / "outputs").exists()
