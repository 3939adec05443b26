"""Spoken names in a transcript: where agenda names occur, spelled right or not, and what the
words around them say about who speaks (hand-overs, thanks, self-introductions)."""

from __future__ import annotations

from restitution.naming.cues import classify, spoken_cues, total
from restitution.naming.firstnames import gender
from restitution.naming.people import mentions, person, words
from restitution.types import Segment, Turn, Word

PEOPLE = [
    person(n)
    for n in (
        "Romain Delassus",
        "Anne Le Gall",
        "Stéphanie Mabileau",
        "Pierre Beffeyte",
        "Yves-Armel Martin",
        "Anne Dupont",
    )
]


def found(text: str) -> list[tuple[list[str], str, str]]:
    return [([p.name for p in m.people], m.form, text[m.start : m.end]) for m in mentions(text, PEOPLE)]


def test_names_are_found_as_whisper_writes_them():
    assert found("Je laisse la parole à Romain Delassu.") == [(["Romain Delassus"], "full", "Romain Delassu")]
    assert found("Merci Romain de Lassus.") == [(["Romain Delassus"], "full", "Romain de Lassus")]
    assert found("Bonjour, je suis Stéphanie Mabilleau.") == [(["Stéphanie Mabileau"], "full", "Stéphanie Mabilleau")]
    assert found("Comme le disait Delassu tout à l'heure") == [(["Romain Delassus"], "last", "Delassu")]
    assert found("Merci Yves Armel.") == [(["Yves-Armel Martin"], "first", "Yves Armel")]
    assert found("Pierre Befeyte, à vous.") == [(["Pierre Beffeyte"], "full", "Pierre Befeyte")]


def test_ordinary_words_are_not_names_and_a_shared_first_name_stays_ambiguous():
    # "pierre" the stone, "légal" the adjective; a capitalised "Anne" could be either Anne.
    assert found("Une pierre posée là, c'est légal.") == []
    assert found("La Pierre de Rosette") == [(["Pierre Beffeyte"], "first", "Pierre")]  # capitalised: could be him
    assert found("Merci Anne.") == [(["Anne Le Gall", "Anne Dupont"], "first", "Anne")]
    assert found("Merci Anne Le Gal.") == [(["Anne Le Gall"], "full", "Anne Le Gal")]
    assert found("Le délai est trop long, Romane") == []  # too far from any name to be a misspelling of one


def kind_of(text: str) -> list[str]:
    ws = [w for w, _, _ in words(text)]
    return [classify(ws, m) for m in mentions(text, PEOPLE)]


def test_what_the_words_around_a_name_make_of_it_in_french_and_english():
    assert kind_of("Je passe la parole à Romain.") == ["next"]
    assert kind_of("Je laisse maintenant la parole à Anne Le Gall pour la suite.") == ["next"]
    assert kind_of("Je laisse Pierre conclure cette matinée.") == ["next"]
    assert kind_of("Stéphanie, à vous.") == ["next"]
    assert kind_of("Stéphanie Mabileau va nous présenter l'atelier.") == ["next"]
    assert kind_of("I'll hand over to Romain Delassus.") == ["next"]
    assert kind_of("Pierre, over to you.") == ["next"]
    assert kind_of("Merci Romain. Bonjour à toutes et à tous, je suis Anne Le Gall.") == ["thanks", "self"]
    assert kind_of("Merci beaucoup Pierre.") == ["thanks"]
    assert kind_of("Thank you Stéphanie. My name is Romain Delassus.") == ["thanks", "self"]
    assert kind_of("Je m'appelle Pierre Beffeyte.") == ["self"]
    assert kind_of("Bonjour, je suis ravie d'accueillir Stéphanie.") == ["next"]  # the nearer phrase wins
    assert kind_of("Comme l'a dit Romain, les moyens manquent.") == ["mention"]


def seg(start: float, text: str, speaker: str, step: float = 0.3) -> Segment:
    ws = tuple(
        Word(round(start + i * step, 3), round(start + i * step + step * 0.9, 3), " " + w, 0.9)
        for i, w in enumerate(text.split())
    )
    return Segment(start, ws[-1].end, text, ws, speaker)


def test_a_hand_over_names_the_next_voice_and_thanks_name_the_one_before():
    turns = (Turn(0, 20, "S1"), Turn(21, 40, "S2"), Turn(41, 60, "S3"))
    segments = (
        seg(0, "Bonjour à tous. Nous commençons.", "S1"),
        seg(18, "Je laisse la parole à Anne Le Gall.", "S1"),
        seg(21, "Merci Romain. Bonjour, je suis Anne Le Gall.", "S2"),
        seg(38, "Pierre Beffeyte, à vous.", "S2"),
        seg(41, "Merci Anne.", "S3"),
    )
    sums = total(spoken_cues(segments, turns, [p.name for p in PEOPLE]))
    assert sums[("S2", "Anne Le Gall")] > 4  # handed over to, introduces herself
    assert sums[("S1", "Anne Le Gall")] < 0  # she who hands over is not the one handed over to
    assert sums[("S1", "Romain Delassus")] > 1  # thanked by the next voice
    assert sums[("S2", "Romain Delassus")] < 0  # one does not thank oneself
    assert sums[("S3", "Pierre Beffeyte")] > 2  # "Pierre Beffeyte, à vous"
    # "Merci Anne" is ambiguous between two Annes: each gets half of what one would.
    assert sums[("S2", "Anne Dupont")] > 0 and sums[("S2", "Anne Dupont")] < sums[("S2", "Anne Le Gall")]


def test_thanks_late_in_a_turn_and_a_hand_over_early_in_one_only_say_who_speaks_is_not_them():
    turns = (Turn(0, 60, "S1"), Turn(61, 90, "S2"))
    segments = (
        seg(0, "Bonjour à toutes et à tous.", "S1"),
        seg(30, "Je remercie Romain pour son invitation.", "S1"),
        seg(35, "Nous en reparlerons.", "S1"),
        seg(40, "Plus tard je passerai la parole à Anne.", "S1"),
        seg(59.5, "Voilà.", "S1"),
    )
    cues = spoken_cues(segments, turns, ["Romain Delassus", "Anne Le Gall"])
    assert {(c.label, c.name) for c in cues} == {("S1", "Romain Delassus"), ("S1", "Anne Le Gall")}
    assert all(c.weight < 0 for c in cues)


def test_first_name_gender_table():
    assert (gender("Anne"), gender("Romain"), gender("Dorothée"), gender("Jean-Marc"), gender("Marie-Laure")) == (
        "f",
        "m",
        "f",
        "m",
        "f",
    )
    assert gender("Camille") is None and gender("Dominique") is None and gender("Zorglub") is None


def test_where_a_name_is_expected_a_lowercase_misspelling_counts_too():
    people = [person("Bastien de Villiers"), person("Hélène Kerbrat"), person("Agnès Fournier")]
    text = "Bonjour à toutes et à tous, je suis bastion de milliers. Merci, Ellen. Je suis magnifique fournié."
    ws = [w for w, _, _ in words(text)]
    assert [(m.person.name, text[m.start : m.end]) for m in mentions(text, people)] == [("Hélène Kerbrat", "Ellen")]
    from restitution.naming.cues import _expected

    got = mentions(text, people, loose=_expected(ws).__contains__)
    assert [(m.person.name, text[m.start : m.end], classify(ws, m)) for m in got] == [
        ("Bastien de Villiers", "bastion de milliers", "self"),
        ("Hélène Kerbrat", "Ellen", "thanks"),
        ("Agnès Fournier", "fournié", "self"),
    ]
    assert mentions("la bastide de Milly", people, loose=lambda i: False) == []


def test_pitch_of_a_voiced_signal_and_none_for_noise():
    import numpy as np

    from restitution.naming.pitch import median_f0

    rate, t = 16000, np.arange(16000 * 3) / 16000
    rng = np.random.default_rng(0)
    for f0 in (95.0, 210.0):  # a buzz with harmonics, as a voice has, in light noise
        x = sum(np.sin(2 * np.pi * f0 * h * t) / h for h in range(1, 6)) * 0.05 + rng.normal(0, 0.002, len(t))
        assert abs(median_f0(x.astype(np.float32), [(0.0, 3.0)]) - f0) < 0.03 * f0
    assert median_f0(rng.normal(0, 0.05, rate * 3).astype(np.float32), [(0.0, 3.0)]) is None
    assert median_f0(np.zeros(rate, np.float32), [(0.0, 1.0)]) is None
