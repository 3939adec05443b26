"""The agenda's check on clustering: stretches that do not sound like their named voice move."""

from __future__ import annotations

import numpy as np
import pytest

from restitution.diarize.refine import Piece, _follow, _group, pieces
from restitution.options import DiarizationOptions, VoiceOptions
from restitution.types import Turn


def test_pieces_join_close_turns_of_one_label_and_cut_long_runs_at_their_longest_pause():
    turns = (
        Turn(0, 2, "S1"),
        Turn(2.5, 4, "S1"),
        Turn(5.5, 7, "S1"),  # 1.5 s gap: a new piece
        Turn(7.2, 8, "S2"),
        Turn(8.3, 9, "S1"),  # S2 in between ends S1's piece
        # one label, two voices, 7.5 s in all: cut at the 0.9 s pause, not where 6 s is reached
        Turn(10, 11, "S3"),
        Turn(11.2, 11.9, "S3"),
        Turn(12.8, 16, "S3"),
        Turn(16.2, 17.5, "S3"),
    )
    got = [(p.label, p.start, p.end) for p in pieces(turns)]
    assert got == [("S1", 0, 4), ("S1", 5.5, 7), ("S2", 7.2, 8), ("S1", 8.3, 9), ("S3", 10, 11.9), ("S3", 12.8, 17.5)]
    assert pieces(turns)[0].speech == pytest.approx(3.5)


def test_short_stretches_follow_a_moved_neighbour_in_a_chain():
    moved = Piece("S1", [0], [(10.0, 15.0)])
    first = Piece("S1", [1], [(15.2, 16.0)])  # touches the moved stretch
    second = Piece("S1", [2], [(16.3, 17.0)])  # touches only `first`
    far = Piece("S1", [3], [(19.0, 19.8)])  # two seconds away: stays
    got = _follow([second, first, far], [(moved, "S9")])
    assert sorted((p.turns[0], label) for p, label in got) == [(1, "S9"), (2, "S9")]


def test_loose_stretches_cluster_and_join_an_anonymous_voice_but_two_anonymous_never_merge():
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    near_a = np.array([0.95, 0.31, 0.0])
    anchored = {"S7": [a], "S8": [np.array([0.9, 0.436, 0.0])]}  # two anonymous labels, alike
    loose = [(0, near_a), (1, b), (2, np.array([0.1, 0.995, 0.0]))]
    groups = {anchor: sorted(k for k, _ in members) for anchor, members in _group(loose, anchored, 0.8)}
    # S7 and S8 (similarity 0.9) stay apart; the stretch near both joins the nearer, S8; the two
    # stretches near b form one new voice; S7 gains nothing and is not reported.
    assert groups == {"S8": [0], None: [1, 2]}


@pytest.fixture(scope="module")
def seven_items(tmp_path_factory):
    """The foundation's seven-item agenda, 8 named speakers, 2 unnamed participants, 4 minutes,
    diarized for real; returns (truth, samples, agenda, diarization, chapters)."""
    import synth
    from restitution import agenda as agenda_io
    from restitution import audio, chapters, offset
    from restitution.diarize import diarize
    from restitution.types import Transcript

    dest = tmp_path_factory.mktemp("seven_items")
    truth = synth.make_session(dest, seed=1, minutes=4)
    samples = audio.read(dest / truth.recording)
    agenda = agenda_io.parse(dest / truth.agenda)
    listed = {sp.name for item in agenda.items for sp in item.speakers}
    dia = diarize(samples, DiarizationOptions(), min_speakers_hint=len(listed))
    duration = len(samples) / 16000
    empty = Transcript(segments=(), language="fr", language_probability=None, duration=duration)
    chaps = chapters.cut(agenda, offset.manual(truth.offset), empty, dia, duration)
    return truth, samples, agenda, dia, chaps


@pytest.mark.slow
def test_unnamed_participants_never_carry_an_agenda_name(seven_items):
    """Real espeak voices, real diarization: without the check, the two participants who speak
    a few seconds in the questions are clustered with named speakers and take their names."""
    from restitution.diarize.refine import refine
    from restitution.speakers import name_speakers

    truth, samples, agenda, dia, chaps = seven_items
    listed = {sp.name for item in agenda.items for sp in item.speakers}

    def named(d):
        speakers, _ = name_speakers(
            (), d, chaps, agenda, overrides={}, voices=None, options=VoiceOptions(), language="fr"
        )
        return truth.name_shares(d.turns, speakers), speakers

    before, _ = named(dia)
    assert before["unnamed"] > 0.2, f"the fixture no longer shows the problem ({before})"
    refined = refine(dia, chaps, samples, DiarizationOptions())
    after, speakers = named(refined)
    assert after["unnamed"] < 0.01, after
    assert after["named"] >= 0.9, after
    assert after["conclusions"] >= 0.8, after
    assert {s.name for s in speakers if s.source == "agenda"} == listed
    # the two participants may be heard as one voice (their espeak voices are close): never as a named one
    anonymous = [s for s in speakers if s.source == "unnamed"]
    assert anonymous and all(s.name.startswith("Intervenant ") for s in anonymous)
    labels = {t.speaker for t in refined.turns}
    assert labels == set(refined.centroids), "every voice, old or new, has a centroid to match known voices"
    assert all(len(c) == 192 for c in refined.centroids.values())


@pytest.mark.slow
def test_without_agenda_names_nothing_changes(seven_items):
    import dataclasses

    from restitution.diarize.refine import refine

    _, samples, _, dia, chaps = seven_items
    anonymous = tuple(dataclasses.replace(c, speakers=()) for c in chaps)
    assert refine(dia, anonymous, samples, DiarizationOptions()) is dia
