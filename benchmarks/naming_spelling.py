"""Agenda names as the agenda writes them: decoder hints and the respelling pass, measured.

    python benchmarks/naming_spelling.py [--seeds 100-107] [--work DIR] [--engine faster-whisper]

Rows: without either, with the hints given to the decoder (faster-whisper `hotwords`,
openai-whisper a prompt carried to every window), with the respelling pass, with both.
- FLEURS French (10 clips joined, Google FLEURS CC BY 4.0): word error rate, with the hints of
  the seed's agenda (names that are never said there: what hints cost when they do not apply);
- synthesized sessions of benchmarks/naming.py whose speakers say names (hand-overs, thanks,
  self-introductions): word error rate, and the share of the names said that the transcript
  spells exactly as the agenda does (its full name, first name or surname, whichever was said).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import wer
from _naming_sessions import EVAL, SEED_NAMES, Spec, draw_spec, make

from restitution import agenda as agenda_io
from restitution import audio
from restitution.naming.people import mentions
from restitution.naming.spelling import agenda_people, hints, respell
from restitution.options import ASROptions
from restitution.synth import SynthTruth
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Segment, Transcript


def seed_agenda() -> Agenda:
    names = [n for pair in zip(SEED_NAMES["m"], SEED_NAMES["f"]) for n in pair]
    return Agenda(items=tuple(AgendaItem(i * 60.0, "Restitution de l'atelier « économie circulaire »",
                                         (AgendaSpeaker(n, role),)) for i, (n, role) in enumerate(names)))


def transcript(samples: np.ndarray, asr: ASROptions, hint: str, cache: Path) -> Transcript:
    stages = cache.parent / "stages.json"  # benchmarks/naming.py's, made with the default options
    if not hint and asr == ASROptions() and stages.is_file():
        return Transcript.from_dict(json.loads(stages.read_text("utf-8"))["transcript"])
    if cache.is_file():
        return Transcript.from_dict(json.loads(cache.read_text("utf-8")))
    from restitution.transcribe import guard
    from restitution.transcribe import transcribe as run

    result = guard.clean(run(samples, asr, "fr", hints=hint))
    cache.write_text(json.dumps(result.to_dict()), "utf-8")
    return result


def text_of(segments: tuple[Segment, ...]) -> str:
    return " ".join(s.text for s in segments)


def names_spelled(truth: SynthTruth, agenda: Agenda, segments: tuple[Segment, ...]) -> tuple[int, int]:
    """(names said that the transcript writes exactly as the agenda, names said)."""
    people = agenda_people(agenda)
    words = [w for s in segments for w in s.words]
    said = exact = 0
    for sentence in truth.sentences:
        if sentence.cut or not sentence.text:
            continue
        heard = "".join(w.text for w in words if sentence.start - 0.5 <= (w.start + w.end) / 2 <= sentence.end + 0.5)
        for m in mentions(sentence.text, people):
            if not m.exact:
                continue
            form = sentence.text[m.start:m.end]
            said += 1
            exact += form.lower() in heard.lower()
    return exact, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100-107")
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "restitution-naming-bench"))
    parser.add_argument("--engine", default="faster-whisper")
    parser.add_argument("--skip-fleurs", action="store_true")
    args = parser.parse_args()
    from naming import seeds_arg

    asr = dataclasses.replace(ASROptions(), engine=args.engine)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    tag = args.engine.replace("-", "")
    rows = []
    if not args.skip_fleurs and (EVAL / "fleurs_fr").is_dir():
        clips = sorted((EVAL / "fleurs_fr").glob("*.ogg"))
        gap = np.zeros(16000, np.float32)
        samples = np.concatenate([x for c in clips for x in (audio.read(c), gap)])
        ref = " ".join(c.with_suffix(".txt").read_text("utf-8").strip() for c in clips)
        hint = hints(seed_agenda())
        for use in (False, True):
            t = transcript(samples, asr, hint if use else "", work / f"fleurs-{tag}-{'hints' if use else 'plain'}.json")
            rows.append(("FLEURS fr", "hints" if use else "-", wer(ref, text_of(t.segments)), None))
    totals: dict[str, list[float]] = {}
    for seed in seeds_arg(args.seeds):
        dest = work / f"seed-{seed}"
        saved = dest / "spec.json"
        spec = Spec(**json.loads(saved.read_text("utf-8"))) if saved.is_file() else draw_spec(seed)
        if not spec.handovers:
            continue  # nothing named aloud: nothing to spell
        if not (dest / "truth.json").is_file():
            make(dest, spec)
        truth = SynthTruth.from_json(dest / "truth.json")
        agenda = agenda_io.parse(dest / truth.agenda)
        samples = audio.read(dest / truth.recording)
        ref = truth.reference_text()
        for use in (False, True):
            t = transcript(samples, asr, hints(agenda) if use else "", dest / f"asr-{tag}-{'hints' if use else 'plain'}.json")
            for fix in (False, True):
                segments = respell(t.segments, agenda)[0] if fix else t.segments
                exact, said = names_spelled(truth, agenda, segments)
                key = f"{'hints' if use else '-'} / {'respell' if fix else '-'}"
                acc = totals.setdefault(key, [0.0, 0.0, 0.0, 0.0])
                acc[0] += wer(ref, text_of(segments))
                acc[1] += 1
                acc[2] += exact
                acc[3] += said
    print("| input | decoder hints / respelling | WER | agenda names spelled exactly |\n|---|---|---|---|")
    for name, key, w, _ in rows:
        print(f"| {name} | {key} | {w:.3f} | |")
    for key, (w, n, exact, said) in totals.items():
        print(f"| synthesized sessions ({int(n)}) | {key} | {w / n:.3f} | {exact / max(said, 1):.1%} ({int(exact)}/{int(said)}) |")


if __name__ == "__main__":
    main()
