"""Agenda names written as the agenda writes them, in segment text and words alike."""

from __future__ import annotations

import pytest

from restitution.naming.spelling import hints, respell
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Segment, Word

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
