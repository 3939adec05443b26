"""Agenda names written as the agenda writes them, in segment text and words alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from restitution.naming.spelling import hints, respell
from restitution.options import PipelineOptions
from restitution.pipeline import stage_keys
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Segment, Session, Word

AGENDA = Agenda(
    items=(
        AgendaItem(
            0,
            "Introduction",
            (
                AgendaSpeaker("Romain Delassus", "Chef du service du numérique"),
                AgendaSpeaker("Anne Le Gall", "Présidente du TMNlab"),
            ),
        ),
        AgendaItem(
            60,
            "Restitution de l'atelier « économie circulaire »",
            (
                AgendaSpeaker("Stéphanie Mabileau", "coordinatrice du Réseau des ressourceries (RESSAC)"),
                AgendaSpeaker("Mme Claire Petit"),
                AgendaSpeaker("Yves-Armel Martin"),
            ),
        ),
    )
)


def seg(text: str) -> Segment:
    ws = tuple(Word(i * 0.4, i * 0.4 + 0.3, " " + w, 0.8 + i / 100) for i, w in enumerate(text.split()))
    return Segment(0.0, ws[-1].end, " " + text, ws)


def fixed(text: str) -> tuple[str, str, int]:
    (out,), changed = respell([seg(text)], AGENDA)
    return out.text.strip(), "".join(w.text for w in out.words).strip(), changed


def test_near_misses_are_rewritten_in_text_and_words():
    assert fixed("Merci Delassu, je suis Anne Le Gal.") == ("Merci Delassus, je suis Anne Le Gall.",) * 2 + (2,)
    assert fixed("Je laisse la parole à Romain de Lassus.")[:2] == ("Je laisse la parole à Romain Delassus.",) * 2
    assert fixed("Stéphanie Mabilleau, à vous.")[0] == "Stéphanie Mabileau, à vous."
    assert fixed("Merci Yves Armel Martin.")[0] == "Merci Yves-Armel Martin."
    assert fixed("Bonjour Stephanie.")[0] == "Bonjour Stéphanie."  # the accent the agenda gives


def test_a_full_name_with_one_half_exact_needs_the_other_only_alike():
    agenda = Agenda(
        items=(AgendaItem(0, "Table ronde", (AgendaSpeaker("Karim Le Bihan"), AgendaSpeaker("Antoine Benali"))),)
    )

    def fix(text: str) -> str:
        (out,), _ = respell([seg(text)], agenda)
        assert out.text == "".join(w.text for w in out.words)
        return out.text.strip()

    # Whisper heard the first name and garbled the surname: the exact half says who it is.
    assert fix("je suis Karim Rébien, bonjour.") == "je suis Karim Le Bihan, bonjour."
    assert fix("je suis Antoine-Burly, responsable.") == "je suis Antoine Benali, responsable."
    # Another surname, an ordinary word, a lowercase word or a sentence break: left as heard.
    for text in ("Karim Dupont est là.", "Merci Karim Pour tout.", "Merci Karim rebien.", "Merci Karim. Rébien."):
        assert fix(text) == text


def test_a_respelt_name_over_several_words_becomes_one_timed_word():
    (out,), _ = respell([seg("Merci Romain de Lassus, bienvenue.")], AGENDA)
    texts = [w.text for w in out.words]
    assert texts == [" Merci", " Romain Delassus,", " bienvenue."]
    joined = out.words[1]
    assert (joined.start, joined.end) == pytest.approx((0.4, 1.5)) and joined.probability == 0.81  # the least sure


def test_ordinary_words_other_names_and_exact_spellings_stay():
    for text in (
        "La pierre est légale et le gall est loin.",  # ordinary words, not capitalised names
        "Martine est arrivée.",  # another first name, not a misspelt Martin
        "Madame Claire Petite est là.",  # "petite" is an ordinary word
        "Merci Romain Delassus et Anne Le Gall.",
    ):  # already right
        assert fixed(text) == (text, text, 0)


def test_decoder_hints_hold_names_organisations_and_rare_title_words():
    text = hints(AGENDA)
    assert text.startswith("Romain Delassus, Anne Le Gall, Stéphanie Mabileau, Mme Claire Petit, Yves-Armel Martin")
    assert "TMNlab" in text and "RESSAC" in text and "circulaire" in text
    assert "Introduction" not in text and "Restitution" not in text  # ordinary words need no hint
    assert hints(Agenda(items=(AgendaItem(0, "Conclusions"),))) == ""


def test_an_unknown_hint_mode_is_a_one_line_config_error():
    from restitution.errors import ConfigError
    from restitution.options import ASROptions
    from restitution.transcribe import check

    check(ASROptions(agenda_hints="hotwords"))
    with pytest.raises(ConfigError, match="asr.agenda_hints 'always' is not one of: off, prompt, hotwords"):
        check(ASROptions(agenda_hints="always"))


def test_capitals_one_word_names_and_a_name_two_people_share():
    agenda = Agenda(
        items=(
            AgendaItem(
                0,
                "Table ronde",
                (
                    AgendaSpeaker("Romain DELASSUS"),
                    AgendaSpeaker("Anne LE GALL"),
                    AgendaSpeaker("Bastien DE VILLIERS"),
                    AgendaSpeaker("Pierre Thomas"),
                    AgendaSpeaker("Thomas Martin"),
                    AgendaSpeaker("Margot"),
                ),
            ),
        )
    )
    (out,), _ = respell(
        [seg("Merci Delassu, Anne Le Gal, Bastien de Villier et Thomas. Bonjour Margo, Margaux.")], agenda
    )
    # Margaux is another first name, not a misspelt Margot: kept.
    assert out.text.strip() == "Merci Delassus, Anne Le Gall, Bastien de Villiers et Thomas. Bonjour Margot, Margaux."


# --- the hints and the respelling in the stage table's keys ----------------------------------------

_SESSION = Session("seance", Path("recordings/seance/recording.mp3"), Path("agenda.txt"))


def _keys(agenda: Agenda, **changes: object) -> dict[str, str]:
    base = PipelineOptions()
    asr = {k: v for k, v in changes.items() if k == "agenda_hints"}
    voices = {k: v for k, v in changes.items() if k in ("respell", "min_confidence")}
    options = dataclasses.replace(
        base, asr=dataclasses.replace(base.asr, **asr), voices=dataclasses.replace(base.voices, **voices)
    )
    return {name: key.key for name, key in stage_keys(_SESSION, options, agenda, "ab" * 32).stages.items()}


def _agenda(name: str) -> Agenda:
    return Agenda((AgendaItem(0.0, "Introduction", (AgendaSpeaker(name, "présidente"),), line=1),))


def test_hints_reach_the_transcribe_key_only_when_they_are_on() -> None:
    one, other = _agenda("Léa Kerbrat"), _agenda("Hugo Delorme")
    # Off: the agenda's names are no input of the decoder, so two agendas share a transcript.
    assert _keys(one)["transcribe"] == _keys(other)["transcribe"]
    on, on_other = _keys(one, agenda_hints="hotwords"), _keys(other, agenda_hints="hotwords")
    assert on["transcribe"] != _keys(one)["transcribe"]
    assert on["transcribe"] != on_other["transcribe"], "other names are other hints"
    assert on["transcribe"] != _keys(one, agenda_hints="prompt")["transcribe"]
    assert on["diarize"] == _keys(one)["diarize"], "hints change the words, not who speaks"


def test_naming_options_change_the_speakers_stage_and_what_follows_only() -> None:
    before = _keys(_agenda("Léa Kerbrat"))
    for change in ({"respell": False}, {"min_confidence": 0.5}):
        after = _keys(_agenda("Léa Kerbrat"), **change)
        assert [name for name in before if before[name] != after[name]] == [
            "speakers",
            "correct",
            "export",
            "index",
            "enroll",
        ]


def test_extra_names_are_hinted_and_respelt_like_the_agenda_s() -> None:
    agenda = _agenda("Léa Kerbrat")
    assert hints(agenda, ["Hugo Delorme"]).startswith("Léa Kerbrat, Hugo Delorme")
    segment = Segment(0.0, 2.0, "merci Hugo Delorm", ())
    (plain,), _ = respell([segment], agenda)
    (fixed,), count = respell([segment], agenda, extra=["Hugo Delorme"])
    assert plain.text == "merci Hugo Delorm" and (fixed.text, count) == ("merci Hugo Delorme", 1)


def test_spellings_learnt_from_corrections_reach_later_sessions(tmp_path: Path) -> None:
    import sqlite3

    from restitution.corrections import known_spellings
    from restitution.stages import speakers_options

    options = PipelineOptions(outputs=str(tmp_path))
    before = speakers_options(options, AGENDA)
    assert known_spellings(options) == ()
    db = sqlite3.connect(options.voices_path)  # as corrections/learn.py leaves the archive's library
    db.execute("CREATE TABLE spellings (spelling TEXT PRIMARY KEY, session TEXT NOT NULL DEFAULT '', created TEXT)")
    db.execute("INSERT INTO spellings VALUES ('Hugo Delorme', 'atelier', '2026-12-01')")
    db.commit()
    db.close()
    assert known_spellings(options) == ("Hugo Delorme",)
    after = speakers_options(options, AGENDA)
    assert after != before and after["learnt"] == ("Hugo Delorme",)  # naming reruns once something is learnt
