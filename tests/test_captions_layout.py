"""Caption layout as a subtitler checks it, over many generated transcripts (seeded, reproducible).

The generator writes words the way Whisper's decoder does (`" C"` + `"'est"`, `" c"` + `" 'est"`,
`" l'"` + `" atelier"`, `" Est"` + `"-ce"`, `" ressour"` + `"cerie"`, `" ?"` on its own) and
splits segments between speakers anywhere, inside words too, as speaker assignment may. Every
layout must then keep each word whole in one cue of one speaker, merge what would flash by,
keep the reading speed where the timing allows it, and hold every hard limit, SRT prefix included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from restitution.export.cues import MAX_CPS, MIN_SECONDS, Cue, build_cues, wrap
from restitution.export.srt import prefix, render_srt, srt_cues
from restitution.export.words import rejoin
from restitution.options import ExportOptions
from restitution.types import AudioInfo, Offset, Segment, Session, SessionResult, Speaker, Word

# (reader word, the ways a decoder may write it)
ELISIONS = [
    ("c'est", [[" c", "'est"], [" c", " 'est"], [" c'", "est"], [" c'est"], [" c", "’est"]]),
    ("C'est", [[" C", "'est"], [" C", " 'est"]]),
    ("l'atelier", [[" l", "'atelier"], [" l'", " atelier"], [" l'", "atelier"], [" l'atel", "ier"]]),
    ("aujourd'hui", [[" aujourd", "'hui"], [" aujourd'", "hui"], [" aujourd'hui"]]),
    ("qu'il", [[" qu", "'il"], [" qu'", " il"], [" qu'il"]]),
    ("d'accord", [[" d", "'accord"], [" d", "’accord"]]),
    ("j'ai", [[" j", "'ai"]]),
    ("Est-ce", [[" Est", "-ce"], [" Est", " -ce"], [" Est-ce"]]),
    ("peut-être", [[" peut", "-être"]]),
    ("ressourcerie", [[" ressour", "cerie"], [" ressourcerie"]]),
    ("réemploi", [[" ré", "emploi"], [" réemploi"]]),
]
PLAIN = (
    "le la les de des un une et à pour avec économie circulaire scène public création numérique données "
    "culture ministère Stéphanie Mabileau coordinatrice atelier décors costumes"
).split()
ENDINGS = [",", ".", " ?", " !", ""]  # punctuation glued to the word, or a token of its own (French)
SPEAKERS = ["S1", "S2", "S3", None]


@dataclass(frozen=True)
class Spoken:
    """A reader word as the generator made it: what a caption must show, when, and who may say it."""

    text: str
    start: float
    end: float
    speakers: frozenset[str | None]


def generate(seed: int, n_words: int = 150) -> tuple[list[Segment], list[Spoken], float]:
    rng = random.Random(seed)
    rate = rng.uniform(8.0, 22.0)  # characters per second: slow speakers to very fast ones
    t = rng.uniform(0.0, 2.0)
    speaker = rng.choice(SPEAKERS)
    pieces: list[tuple[Word, str | None]] = []
    spoken: list[Spoken] = []
    for _ in range(n_words):
        if rng.random() < 0.08:
            speaker = rng.choice(SPEAKERS)  # a new turn
        if rng.random() < 0.05:
            t += rng.uniform(0.5, 3.0)  # a pause
        if rng.random() < 0.35:
            _, ways = rng.choice(ELISIONS)
            tokens = list(rng.choice(ways))
            word = "".join(token.strip() for token in tokens)
        else:
            word = rng.choice(PLAIN)
            tokens = [" " + word]
        ending = rng.choice(ENDINGS) if rng.random() < 0.25 else ""
        if ending.startswith(" "):
            tokens.append(ending)  # " ?" as its own token
            word += ending
        elif ending:
            tokens[-1] += ending
            word += ending
        start = t
        said_by = set()
        for token in tokens:
            # Diarization may cut inside a word: the piece goes to another voice.
            piece_speaker = rng.choice(SPEAKERS) if rng.random() < 0.15 else speaker
            length = max(len(token.strip()), 1) / rate
            pieces.append((Word(round(t, 3), round(t + length, 3), token, 0.9), piece_speaker))
            said_by.add(piece_speaker)
            t += length
        spoken.append(Spoken(word, round(start, 3), round(t, 3), frozenset(said_by)))
        t += rng.uniform(0.0, 0.15)
    segments: list[Segment] = []
    run: list[Word] = []
    for k, (w, spk) in enumerate(pieces):
        run.append(w)
        if k + 1 == len(pieces) or pieces[k + 1][1] != spk:
            segments.append(Segment(run[0].start, run[-1].end, "".join(x.text for x in run).strip(), tuple(run), spk))
            run = []
    rng.shuffle(segments)  # the layout must not depend on the order segments come in
    return segments, spoken, round(t + rng.uniform(0.0, 2.0), 3)


def words_per_cue(cues: list[Cue], spoken: list[Spoken]) -> list[list[Spoken]]:
    """The generator's words, handed out to the cues in order; fails if any word was split or changed."""
    shown = [" ".join(line for line in c.lines if line).split() for c in cues]
    expected = [token for w in spoken for token in w.text.split()]
    assert [token for tokens in shown for token in tokens] == expected
    out, k = [], 0
    for tokens in shown:
        taken: list[Spoken] = []
        count = 0
        while count < len(tokens):
            taken.append(spoken[k])
            count += len(spoken[k].text.split())
            k += 1
        assert count == len(tokens), "a cue begins or ends inside a word"
        out.append(taken)
    return out


def check_layout(cues, spoken, duration, *, max_chars=42, max_lines=2, max_seconds=7.0, reserve=None):
    reserve = reserve or {}
    groups = words_per_cue(cues, spoken)
    prev_end = 0.0
    for k, (cue, words) in enumerate(zip(cues, groups)):
        room = reserve.get(cue.speaker, 0)
        # Hard limits: lines, width (prefix included), time on screen, order, the recording.
        assert 1 <= len(cue.lines) <= max_lines, cue
        assert all(len(line) <= max_chars for line in cue.lines[1:]) and room + len(cue.lines[0]) <= max_chars, cue
        assert all(cue.lines[1:]) and (cue.lines[0] or room), cue
        assert prev_end <= cue.start < cue.end <= duration, cue
        assert cue.end - cue.start <= max_seconds + 1e-9, cue
        prev_end = cue.end
        # One speaker per cue, and one who says the word.
        assert all(cue.speaker in w.speakers for w in words), (cue, words)
        # No line starts with what belongs to the word before it.
        for line in cue.lines:
            if line:
                assert line[0] not in "'’?!,.;:»" and not (line[0] == "-" and line[1:2].isalpha()), cue
        following = cues[k + 1].start if k + 1 < len(cues) else duration
        at_limit = cue.end >= min(following, duration) - 0.002 or cue.end >= cue.start + max_seconds - 0.002
        duration_on_screen = cue.end - cue.start
        chars = len(" ".join(w.text for w in words))
        if chars / duration_on_screen > MAX_CPS * 1.01:
            assert at_limit, (
                f"too fast ({chars / duration_on_screen:.1f} cps) although the cue could stay longer: {cue}"
            )
        if duration_on_screen < MIN_SECONDS - 0.002:
            assert at_limit, f"a flash although the next cue leaves room: {cue}"
            for j in (k - 1, k + 1):
                if 0 <= j < len(cues) and cues[j].speaker == cue.speaker:
                    merged = groups[j] + words if j < k else words + groups[j]
                    fits = wrap([w.text for w in merged], max_chars, max_lines, room) is not None
                    span = max(w.end for w in merged) - merged[0].start
                    assert not (fits and span <= max_seconds), f"{cue} could have joined {cues[j]}"


LIMITS = [(42, 2, 7.0), (32, 1, 3.0), (20, 3, 5.0), (37, 2, 6.0)]


@pytest.mark.parametrize("seed", range(60))
def test_generated_transcripts_lay_out_as_a_subtitler_wants(seed):
    segments, spoken, duration = generate(seed)
    max_chars, max_lines, max_seconds = LIMITS[seed % len(LIMITS)]
    cues = build_cues(segments, max_chars=max_chars, max_lines=max_lines, max_seconds=max_seconds, duration=duration)
    check_layout(cues, spoken, duration, max_chars=max_chars, max_lines=max_lines, max_seconds=max_seconds)


NAMES = {"S1": "Stéphanie Mabileau", "S2": "Jean-Marc Le Floch de la Tour d'Auvergne", "S3": "Anne"}


@pytest.mark.parametrize("seed", range(40))
def test_srt_lines_with_their_name_prefix_stay_within_the_width(seed):
    segments, spoken, duration = generate(1000 + seed)
    max_chars, max_lines, max_seconds = LIMITS[seed % len(LIMITS)]
    options = ExportOptions(caption_max_chars=max_chars, caption_max_lines=max_lines, caption_max_seconds=max_seconds)
    result = SessionResult(
        session=Session(id="s", recording=Path("s.mp3")),
        audio=AudioInfo(Path("s.mp3"), duration, "0" * 64, 16000, 1, "mp3"),
        language="fr",
        offset=Offset(0.0, "none"),
        speakers=tuple(Speaker(sid, name) for sid, name in NAMES.items()),
        chapters=(),
        segments=tuple(segments),
    )
    cues, heads = srt_cues(result, options)
    check_layout(cues, spoken, duration, max_chars=max_chars, max_lines=max_lines, max_seconds=max_seconds,
                 reserve={sid: len(p) for sid, p in heads.items()})  # fmt: skip
    text = render_srt(cues, heads)
    for block in text.strip().split("\n\n"):
        _number, _times, *lines = block.split("\n")
        assert lines and all(0 < len(line) <= max_chars for line in lines), block
    named = [c for c in cues if c.speaker in heads]
    assert named and all(heads[c.speaker].rstrip() in text for c in named)


def test_name_prefix_is_shortened_only_when_it_would_take_more_than_half_a_line():
    assert prefix("Stéphanie Mabileau", 42) == "Stéphanie Mabileau: "
    assert prefix("Jean-Marc Le Floch de la Tour d'Auvergne", 42) == "Jean-Marc: "
    assert prefix("Stéphanie Mabileau", 22) == "Stéphanie: "
    assert prefix("Maximilienne-Charlotte Dupont", 20) == "Maximil…: "
    assert prefix("Anne", 5) == ""  # no room for any name: no prefix rather than a line too long


def test_a_word_split_between_two_speakers_is_shown_whole_with_the_one_who_says_most_of_it():
    segments = [
        Segment(0.0, 1.2, "Merci. C", (Word(0.0, 0.6, " Merci.", 0.9), Word(0.7, 0.9, " C", 0.9)), "S1"),
        Segment(0.9, 2.0, "'est vrai", (Word(0.9, 1.0, "'est", 0.9), Word(1.0, 2.0, " vrai", 0.9)), "S2"),
    ]
    joined = rejoin(segments)
    assert [(s.speaker, s.text) for s in joined] == [("S1", "Merci. C'est"), ("S2", "vrai")]
    cues = build_cues(segments, duration=5.0)
    assert [c.lines for c in cues] == [("Merci. C'est",), ("vrai",)]


def test_the_last_word_of_a_full_cue_is_not_left_to_flash_alone():
    # 21 words, 20 of which fill two lines: cut greedily, the 21st would be a cue of 0.25 s,
    # the next speaker starting right after it.
    words = tuple(Word(i * 0.25, i * 0.25 + 0.25, " mot", 0.9) for i in range(21))
    follow = Segment(5.25, 6.5, "Merci", (Word(5.25, 6.5, " Merci", 0.9),), "S2")
    cues = build_cues([Segment(0.0, 5.25, "", words, "S1"), follow], duration=8.0)
    assert [c.speaker for c in cues] == ["S1", "S1", "S2"]
    assert sum(len(" ".join(c.lines).split()) for c in cues[:2]) == 21
    assert all(c.end - c.start >= MIN_SECONDS for c in cues), cues


def test_a_fast_cue_stays_on_screen_into_the_silence_after_it():
    words = tuple(Word(i * 0.1, i * 0.1 + 0.1, " ressourcerie", 0.9) for i in range(5))  # 64 chars in 0.5 s
    cues = build_cues([Segment(0.0, 0.5, "", words, "S1")], duration=60.0)
    chars = sum(len(" ".join(c.lines)) for c in cues)
    assert chars / (cues[-1].end - cues[0].start) <= MAX_CPS + 0.01
    assert cues[-1].end == pytest.approx(
        cues[0].start + max(MIN_SECONDS, len(" ".join(cues[0].lines)) / MAX_CPS), abs=0.002
    )


def test_reading_speed_of_natural_speech():
    """Phrases said quickly (18 to 24 characters a second) with breaths between them, about 14 on
    average: held on into the breaths, nearly every cue reads at 20 characters a second or less."""
    fast = total = 0
    for seed in range(30):
        rng = random.Random(seed)
        t, segs = 0.0, []
        for _ in range(40):
            words = []
            for _ in range(rng.randint(1, 4)):
                rate = rng.uniform(18.0, 24.0)
                for token in [rng.choice(PLAIN) for _ in range(rng.randint(3, 8))]:
                    length = (len(token) + 1) / rate
                    words.append(Word(round(t, 3), round(t + length * 0.9, 3), " " + token, 0.9))
                    t += length
                t += rng.uniform(0.3, 0.9)
            segs.append(Segment(words[0].start, words[-1].end, "", tuple(words), rng.choice(["S1", "S2"])))
            t += rng.uniform(0.1, 1.5)
        cues = build_cues(segs, duration=t + 1.0)
        total += len(cues)
        fast += sum(len(" ".join(c.lines)) / (c.end - c.start) > MAX_CPS * 1.01 for c in cues)
    # Measured: 8 of 1775 (0.5 %); 136 (7.7 %) when cues end with their last word.
    assert fast / total < 0.02, f"{fast} of {total} cues above {MAX_CPS} characters per second"


def test_zero_width_or_lines_is_a_config_error():
    from restitution.errors import ConfigError

    with pytest.raises(ConfigError, match="caption_max_chars"):
        build_cues([], max_chars=0)
    with pytest.raises(ConfigError, match="caption_max_lines"):
        build_cues([], max_lines=0)


ELIDED_FRENCH = (
    "C'est aujourd'hui que l'atelier commence. Qu'il vienne, c'est l'essentiel. "
    "Est-ce que j'ai parlé de l'économie circulaire ? D'accord, jusqu'à demain."
)


@pytest.mark.slow
def test_real_decoder_elisions_stay_whole_when_every_word_changes_speaker(tmp_path):
    """espeak-ng French through the real Whisper model; speakers flipped at every token, inside words too."""
    import subprocess

    import numpy as np

    from restitution.export.words import reader_words
    from restitution.options import ASROptions
    from restitution.speakers import assign_words
    from restitution.transcribe import transcribe
    from restitution.types import Diarization, Turn

    wav = tmp_path / "elisions.wav"
    subprocess.run(["espeak-ng", "-v", "fr+m3", "-s", "140", "-w", str(wav), ELIDED_FRENCH], check=True)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-ar", "16000", "-ac", "1", "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout  # fmt: skip
    transcript = transcribe(np.frombuffer(raw, np.float32).copy(), ASROptions(threads=1), language="fr")
    pieces = [w for s in transcript.segments for w in s.words]
    assert any(w.text.strip()[:1] in "'’" for w in pieces), f"the decoder wrote no elision in pieces: {pieces}"
    turns = tuple(Turn(w.start, w.end, f"S{k % 2 + 1}") for k, w in enumerate(pieces) if w.end > w.start)
    segments = assign_words(transcript, Diarization(turns))
    # The turns cut inside words; speaker assignment keeps each word whole, with one voice.
    assert not [s.words[0].text for s in segments if s.words and s.words[0].text.strip()[:1] in "'’"]

    duration = len(raw) / 4 / 16000
    expected = [t for w in reader_words(pieces) for t in w.text.split()]
    for max_chars, max_lines in ((42, 2), (16, 2), (24, 1)):
        cues = build_cues(segments, max_chars=max_chars, max_lines=max_lines, duration=duration)
        shown = [t for c in cues for line in c.lines for t in line.split()]
        assert shown == expected
        assert not [t for t in shown if t[0] in "'’" or t.lower() in {"c", "d", "j", "l", "m", "n", "s", "qu", "jusqu"}]
        assert any("'" in t or "’" in t for t in shown)
        result = SessionResult(
            session=Session(id="e", recording=wav),
            audio=AudioInfo(wav, duration, "0" * 64, 16000, 1, "pcm_s16le"),
            language="fr",
            offset=Offset(0.0, "none"),
            speakers=(Speaker("S1", "Stéphanie Mabileau"), Speaker("S2", "Jean-Marc Le Floch")),
            chapters=(),
            segments=tuple(segments),
        )
        srt_options = ExportOptions(caption_max_chars=max_chars, caption_max_lines=max_lines)
        srt_list, heads = srt_cues(result, srt_options)
        for block in render_srt(srt_list, heads).strip().split("\n\n"):
            assert all(len(line) <= max_chars for line in block.split("\n")[2:]), block
