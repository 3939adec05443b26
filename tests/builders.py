"""Hand-built SessionResults for the writer, page and index tests: pure, fast, no audio."""

from __future__ import annotations

from pathlib import Path

from restitution.types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word


def timed_words(text: str, start: float, step: float = 0.4) -> tuple[Word, ...]:
    return tuple(
        Word(start + i * step, start + i * step + step * 0.9, " " + w, 0.9) for i, w in enumerate(text.split())
    )


def seg(text: str, start: float, speaker: str | None) -> Segment:
    words = timed_words(text, start)
    return Segment(start, words[-1].end, text, words, speaker)


def sample_result(
    session_id: str = "atelier-2024",
    title: str = "Restitution des ateliers",
    date: str | None = "2024-05-14",
    lines: list[tuple[float, str | None, str]] | None = None,
    duration: float = 120.0,
) -> SessionResult:
    """Three speakers, two chapters; `lines` are (start, speaker id, text)."""
    lines = lines or [
        (1.0, "S1", "Bonjour à tous et bienvenue."),
        (4.0, "S1", "Nous allons parler des ateliers."),
        (12.0, "S2", "Merci Romain. Présentation de la méthode."),
        (40.0, "S3", "Le réemploi des décors passe par les ressourceries."),
        (46.0, "S3", "L'économie circulaire est au cœur du projet."),
        (60.0, "S2", "Une question sur les données <ouvertes> & partagées ?"),
        (90.0, None, "Applaudissements."),
    ]
    return SessionResult(
        session=Session(id=session_id, recording=Path(f"recordings/{session_id}/audio.mp3"), title=title, date=date),
        audio=AudioInfo(Path(f"recordings/{session_id}/audio.mp3"), duration, "ab" * 32, 16000, 1, "mp3"),
        language="fr",
        offset=Offset(5.0, "manual"),
        speakers=(
            Speaker("S1", "Romain Delassus", "Chef du service du numérique", 8.0, "agenda"),
            Speaker("S2", "Yves-Armel Martin", None, 20.0, "agenda"),
            Speaker("S3", "Stéphanie Mabileau", "coordinatrice du RESSAC", 15.0, "agenda"),
        ),
        chapters=(
            Chapter(1, "Introduction", 0.0, 0.0, 35.0, ("Romain Delassus", "Yves-Armel Martin")),
            Chapter(
                2, "Restitution de l'atelier « économie circulaire »", 40.0, 35.0, duration, ("Stéphanie Mabileau",)
            ),
        ),
        segments=tuple(seg(text, start, spk) for start, spk, text in lines),
    )
