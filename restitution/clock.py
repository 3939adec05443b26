"""Times for people to read: HH:MM:SS."""

from __future__ import annotations


def hms(seconds: float, *, nearest: bool = False) -> str:
    """`seconds` as HH:MM:SS, with a "-" before zero.

    A moment truncates (a caption heard from 65.9 s on shows 00:01:05, never a second after its
    words begin); a duration or a distance takes `nearest=True` and rounds.
    """
    whole = int(round(abs(seconds))) if nearest else int(abs(seconds))
    sign = "-" if seconds < 0 and whole else ""
    return f"{sign}{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
