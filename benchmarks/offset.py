"""Offset and chapter benchmark on synthesized French sessions with a known late start.

    python benchmarks/offset.py [--sessions 10] [--minutes 2] [--seed 100] [--noise] [--work outputs/bench-offset]

Each session (seed 100 + k by default, its own voices, names and workshops) starts late by a known offset
between 2 and 60 s. It is transcribed (faster-whisper, the default base model) and diarized
(the default embedded engine) once, cached under --work; then `offset.estimate` and
`chapters.cut` run with the default options. Reported per session: offset error, chapter start
error against the true item starts (chapters after the first; the first starts at 0 by
definition), whether a chapter starts inside a spoken sentence, and the offset found again
when one agenda time is wrong by 40-120 s ("wrong item" column) and without diarization
(transcript evidence only).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import print_table  # noqa: E402
from restitution import agenda as agenda_mod  # noqa: E402
from restitution import audio, chapters, offset  # noqa: E402
from restitution.diarize import diarize  # noqa: E402
from restitution.options import ASROptions, ChapterOptions, DiarizationOptions, OffsetOptions  # noqa: E402
from restitution.transcribe import transcribe  # noqa: E402
from restitution.types import Agenda, AgendaItem, Diarization, Transcript  # noqa: E402
from synth import SynthSession, make_session  # noqa: E402


def offsets(n: int) -> list[float]:
    """n offsets spread over 2-60 s, not round numbers."""
    return [round(2.0 + (58.0 * k / max(1, n - 1)) + 0.37 * (k % 3), 2) if k < n - 1 else 60.0 for k in range(n)]


def prepare(
    folder: Path, seed: int, late: float, minutes: float, asr: ASROptions, noise: bool = False
) -> tuple[SynthSession, Transcript, Diarization, dict]:
    """Synthesize, transcribe and diarize once; later runs read the cached results."""
    timing = {}
    if not (folder / "truth.json").exists():
        t = time.time()
        make_session(folder, seed=seed, offset=late, minutes=minutes, noise_sections=noise)
        timing["synth"] = time.time() - t
    session = SynthSession.load(folder)
    samples = None
    cached = folder / "transcript.json"
    if not cached.exists():
        samples = audio.read(session.recording)
        t = time.time()
        cached.write_text(json.dumps(transcribe(samples, asr, language="fr").to_dict()), "utf-8")
        timing["asr"] = time.time() - t
    transcript = Transcript.from_dict(json.loads(cached.read_text("utf-8")))
    cached = folder / "diarization.json"
    if not cached.exists():
        samples = samples if samples is not None else audio.read(session.recording)
        t = time.time()
        cached.write_text(json.dumps(diarize(samples, DiarizationOptions(), min_speakers_hint=3).to_dict()), "utf-8")
        timing["diarize"] = time.time() - t
    diarization = Diarization.from_dict(json.loads(cached.read_text("utf-8")))
    return session, transcript, diarization, timing


def with_wrong_item(agenda: Agenda, k: int, shift: float) -> Agenda:
    """The agenda with item k's time moved by `shift`, staying between its neighbours."""
    items = list(agenda.items)
    lo = items[k - 1].time + 2
    hi = items[k + 1].time - 2 if k + 1 < len(items) else items[k].time + shift
    moved = min(max(items[k].time + shift, lo), hi)
    if abs(moved - items[k].time) < 20:
        moved = max(lo, items[k].time - shift)
    items[k] = AgendaItem(moved, items[k].title, items[k].speakers, items[k].line)
    return Agenda(tuple(items), agenda.source)


def evaluate(session: SynthSession, transcript: Transcript, diarization: Diarization) -> dict:
    truth = session.truth
    agenda = agenda_mod.parse(session.agenda)
    t = time.time()
    found = offset.estimate(agenda, transcript, diarization, truth.duration, OffsetOptions())
    elapsed = time.time() - t
    cut = chapters.cut(agenda, found, transcript, diarization, truth.duration, ChapterOptions())
    true_starts = {item.title: item.start for item in truth.items}
    errors = [abs(c.start - true_starts[c.title]) for c in cut[1:]]
    inside = sum(1 for c in cut if any(s.start < c.start < s.end for s in truth.sentences))
    wrong_k = 2 + truth.seed % (len(agenda.items) - 2)
    wrong = offset.estimate(
        with_wrong_item(agenda, wrong_k, 40.0 + 10 * (truth.seed % 9)),
        transcript,
        diarization,
        truth.duration,
        OffsetOptions(),
    )
    alone = offset.estimate(agenda, transcript, None, truth.duration, OffsetOptions())
    return {
        "seed": truth.seed,
        "true offset": f"{truth.offset:.2f}",
        "found": f"{found.seconds:.2f}",
        "offset err": abs(found.seconds - truth.offset),
        "confidence": found.confidence,
        "disagreeing": ",".join(map(str, found.disagreeing)) or "-",
        "chapters": len(cut),
        "boundary err mean": sum(errors) / len(errors) if errors else 0.0,
        "boundary err max": max(errors, default=0.0),
        "in a sentence": inside,
        "wrong item err": abs(wrong.seconds - truth.offset),
        "no-diarization err": abs(alone.seconds - truth.offset),
        "estimate s": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=2.0, help="length of each synthesized session")
    parser.add_argument("--work", type=Path, default=ROOT / "outputs" / "bench-offset")
    parser.add_argument("--seed", type=int, default=100, help="seed of the first session; the others follow")
    parser.add_argument("--beam-size", type=int, default=ASROptions.beam_size)
    parser.add_argument("--noise", action="store_true", help="applause, music or silence between items")
    args = parser.parse_args()
    asr = ASROptions(beam_size=args.beam_size)
    rows = []
    for k, late in enumerate(offsets(args.sessions)):
        seed = args.seed + k
        label = f"{args.minutes:g}min" + ("-noise" if args.noise else "")
        folder = args.work / f"s{seed}-{label}"
        session, transcript, diarization, timing = prepare(folder, seed, late, args.minutes, asr, args.noise)
        row = evaluate(session, transcript, diarization)
        rows.append(row)
        print(f"session {seed}: offset {late} s, found {row['found']} s {timing}", file=sys.stderr, flush=True)
    columns = list(rows[0])
    print_table(rows, columns)
    summary = {
        "sessions": len(rows),
        "offset err mean": sum(r["offset err"] for r in rows) / len(rows),
        "offset err max": max(r["offset err"] for r in rows),
        "boundary err mean": sum(r["boundary err mean"] * (r["chapters"] - 1) for r in rows)
        / max(1, sum(r["chapters"] - 1 for r in rows)),
        "boundary err max": max(r["boundary err max"] for r in rows),
        "within 1 s (offset)": sum(r["offset err"] <= 1.0 for r in rows),
        "all within 2 s (chapters)": sum(r["boundary err max"] <= 2.0 for r in rows),
        "chapter in a sentence": sum(r["in a sentence"] for r in rows),
        "wrong item err max": max(r["wrong item err"] for r in rows),
        "no-diarization err max": max(r["no-diarization err"] for r in rows),
    }
    print()
    print_table([summary], list(summary))
    results = args.work / f"results-{label}.json"
    results.write_text(json.dumps({"rows": rows, "summary": summary}, indent=1), "utf-8")


if __name__ == "__main__":
    main()
