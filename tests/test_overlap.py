"""Work beside the stages (overlap.py): the MP3 encoded from the start of the run is the very file
export would encode, and a run that fails leaves neither that file nor a stage still running."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from restitution.errors import RestitutionError
from restitution.export.mp3 import write_mp3
from restitution.options import ASROptions, PipelineOptions
from restitution.overlap import ENCODING, Background, Encoding
from restitution.pipeline import STAGES, run_session
from restitution.types import Chapter, Session


def test_the_mp3_encoded_beside_the_stages_is_the_one_export_writes(short_french_wav: Path, tmp_path: Path) -> None:
    chapters = (Chapter(1, "Ouverture", 0.0, 0.0, 2.0, ()), Chapter(2, "Suite", 2.0, 2.0, 4.0, ()))
    tags = {"title": "Séance", "artist": "Léa Kerbrat", "comment": "restitution: 2 chapters"}
    direct = write_mp3(short_french_wav, tmp_path / "direct.mp3", chapters, **tags)
    background = Background()
    ahead = Encoding(background, short_french_wav, tmp_path / "encoding.mp3", "128k", False)
    encoded = ahead.result()
    assert encoded is not None and background.cpu() > 0
    beside = write_mp3(short_french_wav, tmp_path / "beside.mp3", chapters, **tags, encoded=encoded)
    assert beside.read_bytes() == direct.read_bytes()
    assert not encoded.exists(), "moved into place, not copied"


def test_a_failed_encoding_leaves_export_to_encode_and_report(tmp_path: Path) -> None:
    missing = tmp_path / "absent.wav"
    assert Encoding(Background(), missing, tmp_path / "encoding.mp3", "128k", False).result() is None
    assert not (tmp_path / "encoding.mp3").exists()


@pytest.mark.slow
def test_a_run_failing_beside_an_ahead_stage_leaves_nothing_running(
    short_french_wav: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert [s.name for s in STAGES if s.ahead] == ["diarize"]
    folder = tmp_path / "seance"
    folder.mkdir()
    (folder / "recording.wav").write_bytes(short_french_wav.read_bytes())
    (folder / "agenda.txt").write_text("- 00:00:00 : Ouverture\n", encoding="utf-8")
    # A model folder that is not there: transcription fails once diarization has started beside it.
    options = PipelineOptions(
        language="fr", offset=0.0, outputs=str(tmp_path / "outputs"), asr=ASROptions(model=str(tmp_path / "no-model/"))
    )
    session = Session(id="seance", recording=folder / "recording.wav", agenda_path=folder / "agenda.txt")
    with caplog.at_level("INFO", logger="restitution"), pytest.raises(RestitutionError, match="model folder"):
        run_session(session, options)
    assert "diarize: started beside the stages before it" in caplog.text
    assert not (tmp_path / "outputs" / "seance" / ENCODING).exists()
    for _ in range(100):  # it stops at its next progress report, or ends
        if not any(t.name in ("diarize", "mp3") for t in threading.enumerate()):
            break
        time.sleep(0.1)
    assert not any(t.name in ("diarize", "mp3") for t in threading.enumerate())
