"""A co-presented item whose first speaker the late start cut off, through the real models.

"Introduction par Romain Delassus et Anne Le Gall": the recording begins as Anne takes over, so
her voice is heard first, his after hers. The old rule (first heard, first listed) named her
Romain; the run must name both right from what it hears (her "Merci Romain", his "Merci Anne",
the pitch of the two voices), say why in session.json, and write names as the agenda does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restitution import load_options, load_session, run_session
from synth import VOICES, ItemSpec, SynthSpeaker, make_session

pytestmark = pytest.mark.slow

ROMAIN = SynthSpeaker("Romain Delassus", "chef du service du numérique", *VOICES[0])
ANNE = SynthSpeaker("Anne Le Gall", "présidente du TMNlab", *VOICES[1])
LEA = SynthSpeaker("Léa Kerbrat", "coordinatrice du réseau", *VOICES[3])
ITEMS = [
    ItemSpec("Introduction", [ROMAIN, ANNE], seconds=60),  # Romain, Anne, Romain again
    ItemSpec("Présentation de la méthode des ateliers", [LEA], seconds=10),
]


@pytest.fixture(scope="module")
def late_session(tmp_path_factory) -> tuple[Path, float, object]:
    # Spoken once on time to find where Anne first speaks, then again from just before it.
    probe = make_session(tmp_path_factory.mktemp("probe"), seed=3, offset=0.0, items=ITEMS)
    anne_starts = next(s.start for s in probe.sentences if s.speaker == ANNE.name)
    folder = tmp_path_factory.mktemp("late") / "introduction"
    truth = make_session(folder, seed=3, offset=anne_starts - 0.3, items=ITEMS)
    assert truth.turns[0].speaker == ANNE.name  # Romain's whole first turn is lost
    assert truth.turns[1].speaker == ROMAIN.name  # he is heard after her
    return folder, truth.offset, truth


def test_the_voice_heard_first_is_named_from_what_is_heard_not_from_the_order(late_session, tmp_path):
    folder, late, truth = late_session
    session, toml, toml_path = load_session(folder)
    options = load_options(None, toml, str(toml_path), {"offset": late, "language": "fr", "outputs": str(tmp_path)})
    result = run_session(session, options)
    by_name = {s.name: s for s in result.speakers}
    assert ANNE.name in by_name and ROMAIN.name in by_name

    def speech_of(label: str, voice: str) -> float:
        return sum(
            max(0.0, min(t.end, seg.end) - max(t.start, seg.start))
            for t in truth.turns
            if t.voice == voice
            for seg in result.segments
            if seg.speaker == label
        )

    # Each name sits on the voice that speaks most under it.
    for person in (ANNE, ROMAIN):
        label = by_name[person.name].id
        mine, other = speech_of(label, person.key), speech_of(label, (ROMAIN if person is ANNE else ANNE).key)
        assert mine > 2 * other, (person.name, mine, other)
    anne = by_name[ANNE.name]
    assert not anne.uncertain and anne.confidence >= 0.75
    assert anne.evidence and anne.evidence[0].startswith("listed with Romain Delassus")
    data = json.loads((tmp_path / session.id / "session.json").read_text("utf-8"))
    saved = next(s for s in data["speakers"] if s["name"] == ANNE.name)
    assert saved["evidence"] == list(anne.evidence) and saved["confidence"] == anne.confidence
    # Whatever Whisper made of the names, the transcript writes them as the agenda does.
    text = " ".join(s.text for s in result.segments)
    for wrong in ("Delassu ", "Le Gal ", "Legal "):
        assert wrong not in text + " "
