"""Fixed words of the published files, in the session's language (English when it has none here),
and which speaker names are worth publishing."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..speakers import UNNAMED

STRINGS = {
    "fr": {
        "archive": "Toutes les séances",
        "archive_title": "Archive des séances",
        "skip": "Aller à la transcription",
        "speakers_label": "Intervenants",
        "captions_label": "Sous-titres",
        "chapters_label": "Chapitres",
        "transcript_label": "Transcription",
        "follow": "Suivre la lecture",
        "search_placeholder": "Rechercher dans la transcription",
        "archive_search": "Filtrer par titre, date ou intervenant",
        "one": "1 paragraphe",
        "colon": "\u00a0: ",
        "many": "{n} paragraphes",
        "sessions": "{n} séances",
        "session_one": "1 séance",
        "before": "Avant le premier chapitre",
        "no_chapters": "Aucun chapitre",
        "empty": "Rien n’a été transcrit dans ce chapitre.",
        "col_title": "Séance",
        "col_date": "Date",
        "col_duration": "Durée",
        "col_speakers": "Intervenants",
        "anchor": "chapitre",
        "speakers_colon": "Intervenants : ",
        "footer": "Transcription automatique, générée hors ligne par restitution ; elle peut contenir des erreurs.",
        "check": "Nom incertain, à vérifier",
    },
    "en": {
        "archive": "All sessions",
        "archive_title": "Session archive",
        "skip": "Skip to the transcript",
        "speakers_label": "Speakers",
        "captions_label": "Captions",
        "chapters_label": "Chapters",
        "transcript_label": "Transcript",
        "follow": "Follow playback",
        "search_placeholder": "Search the transcript",
        "archive_search": "Filter by title, date or speaker",
        "one": "1 paragraph",
        "colon": ": ",
        "many": "{n} paragraphs",
        "sessions": "{n} sessions",
        "session_one": "1 session",
        "before": "Before the first chapter",
        "no_chapters": "No chapters",
        "empty": "Nothing was transcribed in this chapter.",
        "col_title": "Session",
        "col_date": "Date",
        "col_duration": "Duration",
        "col_speakers": "Speakers",
        "anchor": "chapter",
        "speakers_colon": "Speakers: ",
        "footer": "Automatic transcript, made offline by restitution; it may contain errors.",
        "check": "Uncertain name, to be checked",
    },
}


def language_key(language: str | None) -> str:
    """ "fr-CA" -> "fr"; a language without its own strings here gets English."""
    key = (language or "").split("-")[0].split("_")[0].lower()
    return key if key in STRINGS else "en"


def strings(language: str | None) -> dict[str, str]:
    return STRINGS[language_key(language)]


def is_placeholder(name: str | None, source: str | None = None, labels: Iterable[str] = ()) -> bool:
    """A name the run made up for an unknown voice ("Intervenant 2", "Speaker 1", or the configured
    `voices.unnamed_label` followed by a number): it names nobody and is never published as a person."""
    if not name or source == "unnamed":
        return True
    words = [re.escape(w) for w in (*UNNAMED.values(), *labels) if w]
    return re.fullmatch(rf"(?i)(?:{'|'.join(words)})\s*\d+", " ".join(name.split())) is not None


def unnamed_labels(data: dict[str, Any]) -> list[str]:
    """The `voices.unnamed_label` a session.json was made with, if it set one."""
    options = data.get("options")
    voices = options.get("voices") if isinstance(options, dict) else None
    label = voices.get("unnamed_label") if isinstance(voices, dict) else None
    return [label] if isinstance(label, str) and label else []
