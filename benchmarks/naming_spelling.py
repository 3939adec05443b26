"""Agenda names as the agenda writes them: decoder hints and the respelling pass, measured.

    python benchmarks/naming_spelling.py [--seeds 100-115] [--work DIR] [--engine faster-whisper]

Rows: each `asr.agenda_hints` mode (off; "prompt": the hints as the initial prompt of each
decoding group; "hotwords": in every window, faster-whisper `hotwords`, openai-whisper a prompt
carried to every window), with and without the respelling pass.
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

from _common import wer  # noqa: E402
from _naming_sessions import EVAL, SEED_NAMES, Spec, draw_spec, make, make_replica  # noqa: E402

from restitution import agenda as agenda_io  # noqa: E402
from restitution import audio  # noqa: E402
from restitution.naming.people import mentions  # noqa: E402
from restitution.naming.spelling import agenda_people, hints, respell  # noqa: E402
from restitution.options import ASROptions, PipelineOptions  # noqa: E402
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Segment, Transcript  # noqa: E402
from synth import SynthTruth  # noqa: E402


def seed_agenda() -> Agenda:
    names = [n for pair in zip(SEED_NAMES["m"], SEED_NAMES["f"]) for n in pair]
    return Agenda(
        items=tuple(
            AgendaItem(i * 60.0, "Restitution de l'atelier « économie circulaire »", (AgendaSpeaker(n, role),))
            for i, (n, role) in enumerate(names)
        )
    )


def transcript(samples: np.ndarray, asr: ASROptions, hint: str, cache: Path) -> Transcript:
    if cache.is_file():
        return Transcript.from_dict(json.loads(cache.read_text("utf-8")))
    from restitution.transcribe import guard
    from restitution.transcribe import transcribe as run

    result = guard.clean(run(samples, asr, "fr", hints=hint))
    cache.write_text(json.dumps(result.to_dict()), "utf-8")
    return result


def session_transcript(dest: Path, mode: str, engine: str) -> Transcript:
    """The pipeline's transcription of a session (speech map, then transcribe) with these hints;
    mode "off" shares benchmarks/naming.py's cache."""
    from naming import stages

    base = PipelineOptions()
    options = dataclasses.replace(
        base,
        language="fr",
        outputs=str(dest.parent / "outputs"),
        asr=dataclasses.replace(base.asr, engine=engine, agenda_hints=mode),
    )
    work = ".work" if mode == "off" and engine == base.asr.engine else f".work-{engine}-{mode}"
    return stages(dest, options, until="diarize", work=work)["transcript"]


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
            form = sentence.text[m.start : m.end]
            said += 1
            exact += form.lower() in heard.lower()
    return exact, said


MODES = ("off", "prompt", "hotwords")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", default="100-115", help="benchmarks/naming.py sessions; those with names spoken count"
    )
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "restitution-naming-bench"))
    parser.add_argument("--replicas", default="", help="benchmarks/naming.py replicas (names always spoken)")
    parser.add_argument("--engine", default="faster-whisper")
    parser.add_argument("--modes", default=",".join(MODES), help="asr.agenda_hints values to compare")
    parser.add_argument("--skip-fleurs", action="store_true")
    args = parser.parse_args()
    from naming import seeds_arg

    modes = args.modes.split(",")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    tag = args.engine.replace("-", "")
    print("| input | asr.agenda_hints | respelling | WER | agenda names spelled exactly |\n|---|---|---|---|---|")
    if not args.skip_fleurs and (EVAL / "fleurs_fr").is_dir():
        clips = sorted((EVAL / "fleurs_fr").glob("*.ogg"))
        gap = np.zeros(16000, np.float32)
        samples = np.concatenate([x for c in clips for x in (audio.read(c), gap)])
        ref = " ".join(c.with_suffix(".txt").read_text("utf-8").strip() for c in clips)
        for mode in modes:
            asr = dataclasses.replace(ASROptions(), engine=args.engine, agenda_hints=mode)
            hint = hints(seed_agenda()) if mode != "off" else ""
            t = transcript(samples, asr, hint, work / f"fleurs-{tag}-{mode}.json")
            for fix in (False, True):  # no agenda name is said there: respelling must change nothing
                segments = respell(t.segments, seed_agenda())[0] if fix else t.segments
                cells = f"{'yes' if fix else '-'} | {wer(ref, text_of(segments)):.3f}"
                print(f"| FLEURS fr (10 clips) | {mode} | {cells} | |", flush=True)
    totals: dict[tuple[str, bool], list[float]] = {}
    runs = [(s, False) for s in seeds_arg(args.seeds)] + [(s, True) for s in seeds_arg(args.replicas)]
    for seed, replica in runs:
        dest = work / f"{'replica' if replica else 'seed'}-{seed}"
        saved = dest / "spec.json"
        spec = Spec(**json.loads(saved.read_text("utf-8"))) if saved.is_file() else draw_spec(seed)
        if not spec.handovers:
            continue  # nothing named aloud: nothing to spell
        if not (dest / "truth.json").is_file():
            make_replica(dest, seed) if replica else make(dest, spec)
        truth = SynthTruth.from_json(dest / "truth.json")
        agenda = agenda_io.parse(dest / truth.agenda)
        ref = truth.reference_text()
        for mode in modes:
            t = session_transcript(dest, mode, args.engine)
            for fix in (False, True):
                segments = respell(t.segments, agenda)[0] if fix else t.segments
                exact, said = names_spelled(truth, agenda, segments)
                acc = totals.setdefault((mode, fix), [0.0, 0.0, 0.0, 0.0])
                acc[0] += wer(ref, text_of(segments))
                acc[1] += 1
                acc[2] += exact
                acc[3] += said
    for (mode, fix), (w, n, exact, said) in totals.items():
        print(
            f"| synthesized sessions ({int(n)}) | {mode} | {'yes' if fix else '-'} | {w / n:.3f} | "
            f"{exact / max(said, 1):.1%} ({int(exact)}/{int(said)}) |"
        )


if __name__ == "__main__":
    main()
