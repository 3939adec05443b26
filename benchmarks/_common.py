"""Helpers shared by the benchmarks: word error rate, text normalisation, peak memory, tables."""

from __future__ import annotations

import re
import resource
import unicodedata

import jiwer

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})


def normalize(text: str, lang: str) -> str:
    """Lowercase, strip punctuation, unify apostrophes; French elisions become separate words.

    The same function is applied to reference and hypothesis, so "l'accident" and
    "L’accident," count as one matching pair of words.
    """
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    text = "".join(" " if unicodedata.category(c).startswith(("P", "S")) and c != "'" else c for c in text)
    text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)  # quotes, not elisions or contractions
    if lang.startswith("fr"):
        text = text.replace("'", " ")  # elisions: l'accident -> l accident, qu'« on -> qu on
    return " ".join(text.split())


def wer(ref: str, hyp: str, lang: str = "fr") -> float:
    """Word error rate of `hyp` against `ref` after `normalize` (0.0 is perfect)."""
    ref_n, hyp_n = normalize(ref, lang), normalize(hyp, lang)
    if not ref_n:
        return 0.0 if not hyp_n else 1.0
    return float(jiwer.wer(ref_n, hyp_n))


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_table(rows: list[dict], columns: list[str]) -> None:
    """Print `rows` as a Markdown table with the given column order (ready for the README)."""
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(r, widths)) + " |")


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return str(value)
