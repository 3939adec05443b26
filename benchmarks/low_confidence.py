"""Which word probability should the editor highlight? (`restitution edit --low-confidence`)

    python benchmarks/low_confidence.py             # FLEURS French clips from ../shared/eval

Each clip is transcribed with the default engine and options; the hypothesis is aligned with
the reference (both normalised as in asr.py) and each hypothesis word is right (an exact
match in the alignment) or wrong (substituted or inserted). For each threshold: the share of
words highlighted, how many of those are wrong (precision) and how many of the wrong words
are highlighted (recall).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jiwer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import normalize, print_table  # noqa: E402
from benchmarks.asr import EVAL, decode  # noqa: E402

THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def scored_words(audio, ref: str, transcriber) -> list[tuple[float, bool]]:
    """(probability, right) per normalised hypothesis word."""
    from restitution.export.words import rejoin

    transcript = transcriber.transcribe(audio, "fr")
    hyp: list[tuple[str, float]] = []
    for seg in rejoin(transcript.segments):
        for w in seg.words:
            hyp += [(tok, w.probability) for tok in normalize(w.text, "fr").split()]
    if not hyp:
        return []
    out = jiwer.process_words(normalize(ref, "fr"), " ".join(t for t, _ in hyp))
    right = [False] * len(hyp)
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            for k in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                right[k] = True
    return [(p, ok) for (_, p), ok in zip(hyp, right)]


def main() -> None:
    from restitution.options import ASROptions
    from restitution.transcribe import get_transcriber

    clips = sorted((EVAL / "fleurs_fr").glob("*.ogg"))
    if not clips:
        sys.exit(f"no FLEURS clips under {EVAL / 'fleurs_fr'}")
    transcriber = get_transcriber(ASROptions())
    words: list[tuple[float, bool]] = []
    for clip in clips:
        words += scored_words(decode(clip), clip.with_suffix(".txt").read_text(encoding="utf-8"), transcriber)
    wrong = sum(1 for _, ok in words if not ok)
    rows = []
    for t in THRESHOLDS:
        flagged = [ok for p, ok in words if p < t]
        bad = sum(1 for ok in flagged if not ok)
        rows.append(
            {
                "threshold": t,
                "highlighted %": 100 * len(flagged) / len(words),
                "of them wrong %": 100 * bad / len(flagged) if flagged else 0.0,
                "wrong words caught %": 100 * bad / wrong if wrong else 0.0,
            }
        )
    print(f"{len(words)} words, {wrong} wrong ({100 * wrong / len(words):.1f} %), {len(clips)} FLEURS clips")
    print_table(rows, ["threshold", "highlighted %", "of them wrong %", "wrong words caught %"])


if __name__ == "__main__":
    main()
