"""The synthesized sessions every other test and benchmark relies on must tell the truth."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import small_session_items

from synth import SynthSession, SynthTruth, make_session, speak
from synth import session as synth_session_module

AGENDA_LINE = re.compile(r"^- (?:(\d\d):(\d\d):(\d\d) : )?(.+)$")


def decode(path: Path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768


def probe_duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def agenda_items(path: Path) -> list[tuple[float, str]]:
    items = []
    for line in path.read_text("utf-8").splitlines():
        if m := AGENDA_LINE.match(line):
            h, mi, s, rest = m.groups()
            items.append((int(h) * 3600 + int(mi) * 60 + int(s) if h else 0.0, rest))
    return items


def check_invariants(t: SynthTruth) -> None:
    for seq in (t.sentences, t.turns):
        for a, b in zip(seq, seq[1:]):
            assert a.end <= b.start, (a, b)
        for x in seq:
            assert 0 <= x.start < x.end <= t.duration + 1e-6, x
    starts = [i.start for i in t.items]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert [i.end for i in t.items] == starts[1:] + [t.duration]
    assert [i.session_time for i in t.items] == sorted(i.session_time for i in t.items)
    for k, item in enumerate(t.items[1:], 1):
        first = next(s for s in t.sentences if s.item == k)
        assert first.start == pytest.approx(item.start, abs=0.01)  # an item starts with speech
        assert item.start == pytest.approx(max(0.0, item.session_time - t.offset), abs=0.01)


@pytest.mark.slow
def test_fixture_session_matches_its_truth(synth_session: SynthSession) -> None:
    t = synth_session.truth
    assert 35 <= t.duration <= 65
    assert probe_duration(synth_session.recording) == pytest.approx(t.duration, abs=0.15)  # mp3 frames
    assert len(decode(synth_session.recording)) / 16000 == pytest.approx(t.duration, abs=0.1)
    check_invariants(t)
    assert {turn.speaker for turn in t.turns} == {"Léa Kerbrat", "Hugo Delorme", "Jean-Marc Le Floch"}
    assert t.sentences[0].cut  # the recording started 3 s into the first sentence
    assert not any(s.cut for s in t.sentences[1:])


@pytest.mark.slow
def test_agenda_has_session_times_and_named_speakers(synth_session: SynthSession) -> None:
    t = synth_session.truth
    items = agenda_items(synth_session.agenda)
    assert [time for time, _ in items] == [i.session_time for i in t.items] == [i.agenda_time for i in t.items]
    assert items[0][1] == "Introduction par Léa Kerbrat, présidente du réseau des lieux numériques."
    assert items[2][1].startswith("Restitution de l'atelier « Données » avec Jean-Marc Le Floch")
    # the published time minus the offset is where the item really starts in the recording
    assert t.items[1].start == pytest.approx(items[1][0] - 3.0, abs=1e-6)


@pytest.mark.slow
def test_speech_is_where_the_truth_says(synth_session: SynthSession) -> None:
    x = decode(synth_session.recording)
    rms = lambda a, b: float(np.sqrt(np.mean(x[int(a * 16000) : int(b * 16000)] ** 2)))  # noqa: E731
    t = synth_session.truth
    for s in t.sentences:
        assert rms(s.start, s.end) > 0.03, s
    gaps = [(a.end + 0.05, b.start - 0.05) for a, b in zip(t.sentences, t.sentences[1:]) if b.start - a.end > 0.4]
    assert gaps and all(rms(a, b) < 0.01 for a, b in gaps)


@pytest.mark.slow
def test_offset_cuts_the_start_of_the_same_session(tmp_path: Path) -> None:
    base = make_session(tmp_path / "a", seed=3, offset=0.0, items=small_session_items(), audio_format="wav")
    late = make_session(tmp_path / "b", seed=3, offset=1.5, items=small_session_items(), audio_format="wav")
    a, b = decode(tmp_path / "a" / "recording.wav"), decode(tmp_path / "b" / "recording.wav")
    shift = int(1.5 * 16000)
    assert len(a) - len(b) == pytest.approx(shift, abs=2)
    n = len(b) - 16000
    assert np.corrcoef(a[shift + 1000 : shift + n], b[1000:n])[0, 1] > 0.99
    assert np.corrcoef(a[1000:n], b[1000:n])[0, 1] < 0.5  # not merely the same audio
    assert late.duration == pytest.approx(base.duration - 1.5, abs=1e-3)
    for x, y in zip(base.sentences[1:], late.sentences[1:]):
        assert (x.text, x.start - 1.5, x.end - 1.5) == (y.text, pytest.approx(y.start), pytest.approx(y.end))
    assert [i.agenda_time for i in base.items] == [i.agenda_time for i in late.items]


@pytest.mark.slow
def test_negative_offset_adds_room_tone_before_the_session(tmp_path: Path) -> None:
    t = make_session(tmp_path, seed=3, offset=-4.0, items=small_session_items(), audio_format="wav")
    assert t.items[0].start == 4.0 and t.sentences[0].start == pytest.approx(4.4, abs=0.01)
    assert not any(s.cut for s in t.sentences)
    check_invariants(t)
    x = decode(tmp_path / "recording.wav")
    assert 0 < float(np.sqrt(np.mean(x[: 4 * 16000] ** 2))) < 0.005


@pytest.mark.slow
def test_default_session_has_the_seven_item_structure(tmp_path: Path) -> None:
    t = make_session(tmp_path, seed=11, offset=12.0, minutes=3, noise_sections=True, wrong_item=3)
    check_invariants(t)
    items = agenda_items(tmp_path / "agenda.txt")
    assert len(items) == len(t.items) == 7
    assert [bool(i.speakers) for i in t.items] == [True] * 5 + [False] * 2
    assert sum(len(i.speakers) for i in t.items) == 8
    named = {s.name for s in t.speakers if s.name}
    assert len(named) == 8 and len([s for s in t.speakers if not s.name]) == 2
    # "Conclusions" is spoken by the first introducer, who is not named on that line
    assert t.items[5].voices == [t.items[0].voices[0]]
    closing = {s.speaker for s in t.sentences if s.item == 6}
    assert None in closing and len(closing) >= 2
    # the wrong agenda time moved far, stayed between its neighbours, and only it moved
    moved = [abs(i.agenda_time - i.session_time) for i in t.items]
    assert moved[3] >= 20 and all(m == 0 for k, m in enumerate(moved) if k != 3)
    times = [time for time, _ in items]
    assert times == sorted(times) and times[3] == t.items[3].agenda_time
    # noise sections lie between items, never over speech
    assert len(t.events) == 6
    for e in t.events:
        assert not any(s.start < e.end and e.start < s.end for s in t.sentences)
    # the next speaker is introduced by name before their item starts
    handover = [s.text for s in t.sentences if s.item == 2 and "laisse" in s.text]
    assert handover and t.items[3].speakers[0] in handover[-1]


@pytest.mark.slow
def test_minutes_scale_the_session(tmp_path: Path) -> None:
    t = make_session(tmp_path, seed=5, offset=5.0, minutes=8, noise_sections=True, audio_format="flac")
    assert 7 * 60 <= t.duration <= 9.5 * 60
    kinds = {e.kind for e in t.events}
    assert kinds == {"applause", "music", "silence"}
    x = decode(tmp_path / "recording.flac")
    level = {e.kind: float(np.sqrt(np.mean(x[int(e.start * 16000) : int(e.end * 16000)] ** 2))) for e in t.events}
    assert level["silence"] < 0.005 < level["music"] and level["applause"] > 0.005


@pytest.mark.slow
def test_seeds_vary_and_repeat(tmp_path: Path) -> None:
    a = make_session(tmp_path / "a", seed=1, minutes=1.5, audio_format="wav")
    b = make_session(tmp_path / "b", seed=1, minutes=1.5, audio_format="wav")
    c = make_session(tmp_path / "c", seed=2, minutes=1.5, audio_format="wav")
    assert a.to_json() == b.to_json()
    assert a.reference_text() != c.reference_text()
    assert {s.name for s in a.speakers} != {s.name for s in c.speakers}


@pytest.mark.slow
def test_truth_round_trips_through_json(synth_session: SynthSession) -> None:
    t = synth_session.truth
    assert SynthTruth.from_json(t.to_json()) == t
    assert SynthTruth.from_json(synth_session.dir / "truth.json") == t
    assert t.reference_text().startswith(t.sentences[1].text)  # the cut sentence is not in the reference
    assert len(t.rttm().splitlines()) == len(t.turns)


def test_speak_writes_one_sentence(tmp_path: Path) -> None:
    d = speak(tmp_path / "s.wav", "Les données de billetterie sont partagées.")
    assert 1.5 < d < 6
    assert len(decode(tmp_path / "s.wav")) / 16000 == pytest.approx(d, abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_project_agenda_parser_reads_what_the_generator_wrote(tmp_path: Path, seed: int) -> None:
    agenda = pytest.importorskip("restitution.agenda")
    t = make_session(tmp_path, seed=seed, minutes=1.5, audio_format="wav", wrong_item=2 if seed % 2 else None)
    parsed = agenda.parse(tmp_path / "agenda.txt")
    assert [i.time for i in parsed.items] == [i.agenda_time for i in t.items]
    assert [i.title for i in parsed.items] == [i.title for i in t.items]
    roles = {s.name: s.role for s in t.speakers}
    assert [[(s.name, s.role) for s in i.speakers] for i in parsed.items] == [
        [(n, roles[n]) for n in i.speakers] for i in t.items
    ]


@pytest.mark.slow
def test_shipped_example_is_what_the_script_makes(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, str(root / "scripts" / "make_example.py"), str(tmp_path)], check=True, capture_output=True
    )
    shipped = root / "recordings" / "example"
    for name in ("agenda.txt", "session.toml"):
        assert (tmp_path / name).read_text("utf-8") == (shipped / name).read_text("utf-8")
    assert (shipped / "example.mp3").stat().st_size < 2_000_000
    assert probe_duration(shipped / "example.mp3") == pytest.approx(probe_duration(tmp_path / "example.mp3"), abs=0.1)
    assert 90 <= probe_duration(shipped / "example.mp3") <= 150
    times = [t for t, _ in agenda_items(shipped / "agenda.txt")]
    assert len(times) == 5 and times[0] == 0 and times == sorted(times)


@pytest.mark.slow
def test_long_sessions_reuse_sentences_but_never_the_spoken_cues(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(synth_session_module, "_POOL", 6)  # what a three-hour session does after 40 sentences a voice
    items = small_session_items()[:2]
    for item in items:
        item.seconds = 90
    t = make_session(tmp_path, seed=4, offset=20.0, items=items, audio_format="wav", background=0.0)
    texts = [s.text for s in t.sentences]
    assert len(set(texts)) < 0.7 * len(texts)  # reuse keeps espeak-ng calls bounded
    cues = [k for k, s in enumerate(t.sentences) if "laisse" in s.text or "je suis" in s.text]
    # one hand-over at the end of item 1, one self-introduction per speaker (the first is cut off)
    assert [t.sentences[k].text.split(",")[0] for k in cues] == [
        "Je laisse maintenant la parole à Hugo Delorme pour la présentation de la méthode des ateliers.",
        "Bonjour à toutes et à tous",
    ]
    assert t.sentences[cues[0]].item == 0 and t.sentences[cues[0] + 2].item == 1


@pytest.mark.slow
def test_without_pauses_speech_runs_on(tmp_path: Path) -> None:
    t = make_session(tmp_path, seed=2, offset=1.0, items=small_session_items(), pauses=False, audio_format="wav")
    gaps = [b.start - a.end for a, b in zip(t.sentences, t.sentences[1:])]
    assert max(gaps) < 0.35
    assert all(abs(i.agenda_time - i.session_time) <= 0.5 for i in t.items)  # published to the second
    assert any(i.session_time != round(i.session_time) for i in t.items)
