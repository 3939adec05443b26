"""How sure Whisper base is of the language of real speech, as `restitution.language` hears it
(up to 60 s of speech from the first 10 minutes), and whether a wrong `language` setting warns.

    python benchmarks/language.py

Audio from ../shared/eval: the JFK clip and AMI meeting excerpts (English), the FLEURS clips
and realfr_dev files (French). For each file: the language detected, its probability, the
probability of the other language of the pair (French for English audio, English for French
audio), whether setting the language spoken stays quiet and whether setting the other one
warns. Results: benchmarks/language_results.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import print_table  # noqa: E402
from restitution import language  # noqa: E402
from restitution.options import ASROptions  # noqa: E402
from restitution.transcribe import get_transcriber  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def load(path: Path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.float32).copy()


def main() -> None:
    if not EVAL.is_dir():
        sys.exit(f"{EVAL} is absent")
    english = [EVAL / "jfk_en" / "jfk.flac", EVAL / "ami_es2004_mix_4spk_en" / "mixture.flac"]
    english += sorted((EVAL / "ami_pyannote_debug_en").glob("*.flac"))
    french = sorted((EVAL / "fleurs_fr").glob("*.ogg"))
    french += sorted(p for p in (EVAL / "realfr_dev").rglob("*") if p.suffix in (".wav", ".mp3", ".flac"))
    transcriber = get_transcriber(ASROptions())
    rows = []
    for spoken, wrong, files in (("en", "fr", english), ("fr", "en", french)):
        for path in files:
            found = language.detect(load(path), transcriber)
            row = {"file": str(path.relative_to(EVAL)), "spoken": spoken}
            if found is None:
                rows.append({**row, "detected": "(under 1 s of speech)"})
                continue
            rows.append({
                **row, "speech s": found.seconds, "detected": found.language, "p": found.probability,
                "p(set)": found.of(wrong), "set": wrong, "warns": "yes" if found.contradicts(wrong) else "NO",
                "p(spoken)": found.of(spoken), "quiet if right": "yes" if not found.contradicts(spoken) else "NO",
            })  # fmt: skip
    columns = ["file", "spoken", "speech s", "detected", "p", "p(spoken)", "quiet if right", "set", "p(set)", "warns"]
    print_table(rows, columns)


if __name__ == "__main__":
    main()
