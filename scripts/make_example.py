"""Regenerate recordings/example/: a two-minute French session spoken by espeak-ng.

    python scripts/make_example.py [DEST]

Four voices, five agenda items, a recording that starts 4 s after the session did (as real
ones do). Deterministic: the same espeak-ng and ffmpeg give the same files.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the synth test helper lives at the top of the repository

from synth import ItemSpec, SynthSpeaker, make_session  # noqa: E402

SEED = 2024
OFFSET = 4.0

HUGO = SynthSpeaker("Hugo Delorme", "chef du service du numérique du ministère", "fr+m1", 35, 150)
LEA = SynthSpeaker("Léa Kerbrat", "présidente du réseau des lieux numériques", "fr+f4", 62, 145)
JEAN_MARC = SynthSpeaker(
    "Jean-Marc Le Floch", "fondateur de l'agence Cap Commun, expert en innovation collaborative", "fr+robert", 50, 160
)
SOPHIE = SynthSpeaker("Sophie Marchand", "coordinatrice du réseau des ressourceries culturelles", "fr+steph", 58, 155)

ITEMS = [
    ItemSpec("Introduction", [HUGO, LEA], seconds=30),
    ItemSpec("Présentation de la méthode des ateliers", [JEAN_MARC], seconds=20),
    ItemSpec("Restitution de l'atelier « économie circulaire »", [SOPHIE], seconds=22, joiner="avec"),
    ItemSpec("Restitution de l'atelier « Données »", [LEA], seconds=18, joiner="avec"),
    ItemSpec("Conclusions et perspectives", [HUGO], named=False, seconds=12),
]


def main(dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        truth = make_session(Path(tmp), seed=SEED, offset=OFFSET, items=ITEMS, audio_format="mp3", bitrate="64k")
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / truth.recording, dest / "example.mp3")
        shutil.copyfile(Path(tmp) / truth.agenda, dest / "agenda.txt")
    starts = "\n".join(f"#   {i.start:7.2f} s  {i.title}" for i in truth.items)
    (dest / "session.toml").write_text(
        f"""# The example session, made by scripts/make_example.py with espeak-ng voices.
title = "Journée de restitution des ateliers culture et numérique (exemple)"
date = "2024-06-18"
language = "fr"
# No offset here on purpose: the pipeline estimates it. The truth, for checking:
# the recording starts {OFFSET:g} s after the session, so the items start in the recording at
{starts}
""",
        "utf-8",
    )
    print(f"{dest}: {truth.duration:.1f} s, {len(truth.speakers)} voices, {len(truth.items)} items")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "recordings" / "example")
