"""Diarization benchmark: DER and real-time factor on real AMI meetings, name accuracy on
synthesized French sessions.

    python benchmarks/diarization.py [--engine embedded] [--embedding campplus] [--sessions 2]

DER is pyannote.metrics' DiarizationErrorRate with no collar and overlapping speech scored (as
pyannote publishes it; `--collar 0.25` for the forgiving variant), over the UEM where one is
given. Published reference: pyannote/speaker-diarization-3.1 reports 18.8 % DER on the AMI test set (headset mix, "only_words", no collar, overlap scored) and 22.4 %
on AMI SDM; those are 16 full meetings, these are one-minute and 30-second excerpts (the
`ami_pyannote_debug_en` clips are far-field and quiet). `--vad` compares speech detections under
the same clustering: the shared speech map (pyannote segmentation-3.0, which was trained on AMI
among other corpora, so these excerpts may come from meetings it saw), the map without the
second voices it adds where two people overlap, and Silero VAD as the embedded engine used before.
Needs ../shared/eval (AMI excerpts, CC BY 4.0, AMI Meeting Corpus) and `pip install pyannote.metrics`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from restitution import audio as audio_io  # noqa: E402
from restitution.diarize import diarize  # noqa: E402
from restitution.options import DiarizationOptions  # noqa: E402
from restitution.speech import SpeechMap, detect  # noqa: E402


def read_rttm(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    out: dict[str, list[tuple[float, float, str]]] = {}
    for line in path.read_text("utf-8").splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            out.setdefault(f[1], []).append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
    return out


def read_uem(path: Path) -> dict[str, tuple[float, float]]:
    out = {}
    for line in path.read_text("utf-8").splitlines():
        f = line.split()
        if f:
            out[f[0]] = (float(f[2]), float(f[3]))
    return out


def der(reference, hypothesis, uem: tuple[float, float] | None, collar: float = 0.0) -> tuple[float, dict]:
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for i, (s, e, who) in enumerate(reference):
        ref[Segment(s, e), i] = who
    for i, t in enumerate(hypothesis):
        hyp[Segment(t.start, t.end), i] = t.speaker
    metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
    extent = Timeline([Segment(*uem)]) if uem else None
    detail = metric(ref, hyp, uem=extent, detailed=True)
    return detail["diarization error rate"], detail


def ami_cases() -> list[tuple[str, Path, list[tuple[float, float, str]], tuple[float, float] | None]]:
    """(name, audio, reference turns, UEM) for the headset mix and the 14 far-field excerpts."""
    mix = EVAL / "ami_es2004_mix_4spk_en"
    cases = [("ES2004 mix", mix / "mixture.flac", read_rttm(mix / "mixture.rttm")["mixture"], None)]
    debug = EVAL / "ami_pyannote_debug_en"
    refs, uems = {}, {}
    for split in ("development", "test", "train"):
        refs.update(read_rttm(debug / f"debug.{split}.rttm"))
        uems.update(read_uem(debug / f"debug.{split}.uem"))
    for uri in sorted(refs):
        cases.append((uri, debug / f"{uri}.flac", refs[uri], uems.get(uri)))
    return cases


def silero_map(samples) -> SpeechMap:
    """What the embedded engine used before the shared speech map: Silero VAD (the silero-vad
    package) at threshold 0.35, for comparison."""
    import torch
    from silero_vad import get_speech_timestamps, load_silero_vad

    stamps = get_speech_timestamps(
        torch.from_numpy(np.asarray(samples)), load_silero_vad(), threshold=0.35, sampling_rate=16000
    )
    regions = tuple((round(t["start"] / 16000, 3), round(t["end"] / 16000, 3)) for t in stamps)
    return SpeechMap(regions, (), len(samples) / 16000, "silero-vad 0.35")


VADS = {
    "map": lambda samples: detect(samples),
    "map-no-overlap": lambda samples: dataclasses.replace(detect(samples), overlaps=()),
    "silero": silero_map,
}


def run_ami(
    options: DiarizationOptions, vad: str = "map", quiet: bool = False, collar: float = 0.0
) -> dict[str, float]:
    """DER per file and overall; returns {"mix": DER of the headset mix, "far": DER of the 14
    far-field excerpts together, "rtf": diarization seconds per audio second}."""
    totals = {k: {"confusion": 0.0, "missed detection": 0.0, "false alarm": 0.0, "total": 0.0} for k in ("mix", "far")}
    seconds = compute = 0.0
    if not quiet:
        print(f"speech detection: {vad}")
        print(f"{'file':<12} {'DER':>6} {'miss':>6} {'FA':>6} {'conf':>6} {'spk':>4} {'ref':>4} {'RTF':>6}")
    for name, path, ref, uem in ami_cases():
        samples = audio_io.read(path)
        t0 = time.perf_counter()
        result = diarize(samples, options, speech=VADS[vad](samples))
        took = time.perf_counter() - t0
        rate, d = der(ref, result.turns, uem, collar)
        dur = len(samples) / 16000
        seconds += dur
        compute += took
        group = totals["mix" if name == "ES2004 mix" else "far"]
        for k in group:
            group[k] += d[k]
        tot = d["total"] or 1.0
        if not quiet:
            print(
                f"{name:<12} {rate:6.1%} {d['missed detection'] / tot:6.1%} {d['false alarm'] / tot:6.1%} "
                f"{d['confusion'] / tot:6.1%} {len({t.speaker for t in result.turns}):>4} "
                f"{len({r[2] for r in ref}):>4} "
                f"{took / dur:6.3f}"
            )
    out = {k: (t["confusion"] + t["missed detection"] + t["false alarm"]) / t["total"] for k, t in totals.items()}
    parts = ("missed detection", "false alarm", "confusion")
    out.update({f"{k} {part}": t[part] / t["total"] for k, t in totals.items() for part in parts})
    out["rtf"] = compute / seconds
    if not quiet:
        print(
            f"far-field excerpts together: {out['far']:.1%} (miss {out['far missed detection']:.1%}, FA "
            f"{out['far false alarm']:.1%}, confusion {out['far confusion']:.1%}); headset mix {out['mix']:.1%}; "
            f"collar {collar} s, overlap scored; RTF {out['rtf']:.3f}"
        )
    return out


def _frames(spans, duration: float, step: float = 0.01) -> np.ndarray:
    """Voices per 10 ms frame: how many of `spans` (start, end, ...) cover it."""
    n = np.zeros(int(round(duration / step)), int)
    for span in spans:
        n[int(round(span[0] / step)) : int(round(span[1] / step))] += 1
    return n


def run_floor(vad: str = "map") -> dict[str, float]:
    """The speech detection's own error, with every frame given the right speakers: what no
    clustering can win back. Each frame of the map counts one voice, two where it hears an
    overlap; shares of the far-field excerpts' reference speech (overlaps counted per voice)."""
    parts = ("not detected", "overlap under-counted", "beyond two voices", "false alarm")
    totals = dict.fromkeys((*parts, "total"), 0.0)
    for name, path, ref, uem in ami_cases():
        if name == "ES2004 mix":
            continue
        samples = audio_io.read(path)
        speech = VADS[vad](samples)
        duration = uem[1] if uem else len(samples) / 16000
        truth = _frames(ref, duration)
        heard = _frames([*speech.regions, *speech.overlaps], duration)
        short = np.maximum(0, truth - heard)
        totals["not detected"] += short[heard == 0].sum()
        totals["overlap under-counted"] += short[heard > 0].sum()
        totals["beyond two voices"] += np.maximum(0, truth - 2).sum()
        totals["false alarm"] += np.maximum(0, heard - truth).sum()
        totals["total"] += truth.sum()
    out = {k: totals[k] / totals["total"] for k in parts}
    print(
        f"{vad} with the right speakers, far-field: missed {out['not detected']:.1%} not detected + "
        f"{out['overlap under-counted']:.1%} in overlaps (of which {out['beyond two voices']:.1%} beyond two "
        f"voices, which the map never counts), false alarm {out['false alarm']:.1%}; floor "
        f"{out['not detected'] + out['overlap under-counted'] + out['false alarm']:.1%} before any confusion"
    )
    return out


def name_session(dest: Path, options: DiarizationOptions, seed: int, minutes: float) -> dict[str, float]:
    """Synthesize one session, diarize and name it; return the time shares that matter."""
    import synth
    from restitution import agenda as agenda_io
    from restitution import chapters as chapters_io
    from restitution import offset as offset_io
    from restitution.diarize.refine import refine
    from restitution.speakers import name_speakers
    from restitution.types import Transcript

    truth = synth.make_session(dest, seed=seed, minutes=minutes)
    samples = audio_io.read(dest / truth.recording)
    agenda = agenda_io.parse(dest / truth.agenda)
    named = {sp.name for item in agenda.items for sp in item.speakers}
    t0 = time.perf_counter()
    dia = diarize(samples, options, min_speakers_hint=len(named))
    duration = len(samples) / 16000
    empty = Transcript(segments=(), language="fr", language_probability=None, duration=duration)
    chapters = chapters_io.cut(agenda, offset_io.manual(truth.offset), empty, dia, duration)
    if options.refine:
        dia = refine(dia, chapters, samples, options)
    took = time.perf_counter() - t0
    speakers, _ = name_speakers((), dia, chapters, agenda, overrides={}, voices=None, language="fr")
    out = truth.name_shares(dia.turns, speakers)
    out["labels"] = len(speakers)
    out["rtf"] = took / duration
    return out


def run_names(options: DiarizationOptions, sessions: int, minutes: float, first_seed: int = 0) -> None:
    """Share of named speakers' speech time carrying the right name, on synthesized sessions
    (7-item agenda, 8 named speakers, 2 unnamed participants, the first speaker back in the
    unnamed "Conclusions")."""
    print(
        f"\n{'session':<8} {'named ok':>9} {'unnamed w/ agenda name':>23} {'Conclusions ok':>15} {'labels':>7} {'RTF':>6}"
    )
    for seed in range(first_seed, first_seed + sessions):
        with tempfile.TemporaryDirectory(prefix="names-") as tmp:
            r = name_session(Path(tmp), options, seed, minutes)
        print(
            f"{seed:<8} {r['named']:9.1%} {r['unnamed']:23.1%} {r['conclusions']:15.1%} {r['labels']:>7} {r['rtf']:6.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="embedded")
    parser.add_argument("--embedding", default=None, help="embedded engine: campplus | resemblyzer")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=0, help="synthesized sessions for name accuracy")
    parser.add_argument("--minutes", type=float, default=6.0, help="length of each synthesized session")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first synthesized session")
    parser.add_argument("--skip-ami", action="store_true")
    parser.add_argument("--collar", type=float, default=0.0, help="seconds around reference boundaries not scored")
    parser.add_argument(
        "--floor", action="store_true", help="also score the speech detection alone, with the right speakers"
    )
    parser.add_argument("--no-refine", action="store_true", help="skip the agenda check of named voices")
    parser.add_argument(
        "--vad",
        choices=sorted(VADS),
        default="map",
        help="speech detection for AMI: the shared speech map (default), without its overlaps, or "
        "Silero VAD as the embedded engine used before",
    )
    args = parser.parse_args()
    options = dataclasses.replace(
        DiarizationOptions(), engine=args.engine, threads=args.threads, refine=not args.no_refine
    )
    if args.embedding:
        options = dataclasses.replace(options, embedding=args.embedding)
    if not args.skip_ami:
        if not EVAL.is_dir():
            raise SystemExit(f"{EVAL} is absent: the AMI excerpts are needed (or pass --skip-ami)")
        run_ami(options, args.vad, collar=args.collar)
        if args.floor:
            run_floor(args.vad)
    if args.sessions:
        run_names(options, args.sessions, args.minutes, args.first_seed)


if __name__ == "__main__":
    main()
