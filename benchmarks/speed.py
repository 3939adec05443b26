"""Speed against the bare engines (issue 16): wall and CPU real-time factors, their ratio to bare
faster-whisper sequential, word error rate and peak RSS, for every system on the same audio.

    .venv/bin/python benchmarks/speed.py                          # FLEURS, realfr_dev, a 20-minute synthetic session
    .venv/bin/python benchmarks/speed.py --minutes 5 --seconds 300   # shorter: synth 5 min, every input cut at 300 s
    .venv/bin/python benchmarks/speed.py --systems fw-sequential restitution-batched

Inputs (benchmarks/speech_loss.py's builders, seeded): `fleurs` (the 10 FLEURS French clips, each
after a 20-40 s pause, quiet noise), `realfr` (the 16 clips of ../shared/eval/realfr_dev, likewise),
`synth` (a synthesized session, `--minutes` long, with its agenda, applause, music and silence),
`dense` (the realfr_dev and FLEURS clips shuffled, 0.5-2 s apart, twice over: 9 minutes of real
voices with a meeting's pauses; `--seconds 390` gives issue 16's 6.4-minute check).
Systems, all on the same Whisper base weights, language given (fr), each in its own process
(started, waited for with wait4: its wall clock, its CPU time and that of its children, its peak
RSS), one after the other in one sitting:
- fw-sequential: bare faster-whisper, int8, beam 5, Silero VAD, word timestamps, 2 threads,
  otherwise its defaults (temperature fallback, conditioning on previous text): the baseline;
- fw-batched: bare faster-whisper's BatchedInferencePipeline, batch 8, beam 5, same otherwise;
- openai-whisper: the reference implementation, beam 5, float32, 2 threads, its defaults (no VAD);
- restitution: `restitution run` end to end (decode, speech map, transcription, diarization,
  second hearing, offset, chapters, names, every export, index), default options;
- restitution-batched: the same with `asr.batch_size = 8` (the experimental batched path: clips of
  the speech map side by side, each clip that fails Whisper's checks again alone with the fallback);
  restitution-batched-t0 without that fallback (`asr.temperature_fallback = false`).
A process's times include starting Python and loading its models: that is what a user waits for.
The machine may be shared: compare ratios within one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import normalize, print_table  # noqa: E402

SR = 16000
BASELINE = "fw-sequential"
CACHE = Path(__file__).resolve().parent / ".cache" / "speed"
Turn = tuple[float, float, str]


# -- inputs ----------------------------------------------------------------------------------------


def _synthesized(minutes: float) -> tuple[Path, list[Turn]]:
    from synth import SynthTruth, make_session

    dest = CACHE / f"synth-{minutes:g}min"
    if not (dest / "truth.json").is_file():
        make_session(dest, seed=16, offset=8.0, minutes=minutes, noise_sections=True)
    truth = SynthTruth.from_json(dest / "truth.json")
    return dest, [(s.start, s.end, s.text) for s in truth.sentences if not s.cut]


def _joined(name: str, seed: int) -> tuple[Path, list[Turn]]:
    """A session folder holding the joined clips as a WAV and a one-item agenda."""
    import soundfile

    from benchmarks.speech_loss import fleurs, realfr

    dest = CACHE / f"{name}-{seed}"
    if not (dest / "turns.json").is_file():
        audio, turns = {"fleurs": fleurs, "realfr": realfr}[name](seed)
        dest.mkdir(parents=True, exist_ok=True)
        soundfile.write(dest / "recording.wav", audio, SR, subtype="FLOAT")
        (dest / "agenda.txt").write_text("- 00:00:00 : Séance\n", "utf-8")
        (dest / "turns.json").write_text(json.dumps(turns, ensure_ascii=False), "utf-8")
    return dest, [tuple(t) for t in json.loads((dest / "turns.json").read_text("utf-8"))]  # type: ignore[misc]


def _dense(seed: int) -> tuple[Path, list[Turn]]:
    """The realfr_dev and FLEURS clips 0.5-2 s apart, shuffled, twice over (4.6 minutes once):
    real French voices with the pauses of a meeting, not the long silences of the `realfr`
    input. Cut it with --seconds (390: the 6.4 minutes of issue 16's check)."""
    import random

    import soundfile

    from benchmarks import speech_loss

    dest = CACHE / f"dense-{seed}"
    if not (dest / "turns.json").is_file():
        clips = speech_loss.realfr_clips() + speech_loss.fleurs_clips()
        rng, gen = random.Random(seed), np.random.default_rng(seed)
        order = rng.sample(clips, len(clips)) + rng.sample(clips, len(clips))
        joined, turns = speech_loss.lay_out(order, rng, gen, pauses=(0.5, 2.0), tail=1.0)
        dest.mkdir(parents=True, exist_ok=True)
        soundfile.write(dest / "recording.wav", joined, SR, subtype="FLOAT")
        (dest / "agenda.txt").write_text("- 00:00:00 : Séance\n", "utf-8")
        (dest / "turns.json").write_text(json.dumps(turns, ensure_ascii=False), "utf-8")
    return dest, [tuple(t) for t in json.loads((dest / "turns.json").read_text("utf-8"))]  # type: ignore[misc]


def _cut(folder: Path, turns: list[Turn], seconds: float | None) -> tuple[Path, list[Turn]]:
    """At most the first `seconds` of a session, cut before the first turn that would not fit (in a
    pause, so no reference turn is cut in two), with its agenda's first item only."""
    if seconds is None:
        return folder, turns
    from restitution import audio as audio_io

    seconds = min([seconds] + [s for s, e, _ in turns if e > seconds])
    dest = CACHE / f"{folder.name}-first{seconds:.0f}s"
    if not (dest / "recording.wav").is_file():
        import soundfile

        recording = next(p for p in folder.iterdir() if p.stem == "recording")
        dest.mkdir(parents=True, exist_ok=True)
        soundfile.write(dest / "recording.wav", audio_io.read(recording)[: int(seconds * SR)], SR, subtype="FLOAT")
        lines = (folder / "agenda.txt").read_text("utf-8").splitlines()
        item = next(i for i, line in enumerate(lines) if line.lstrip().startswith("-"))
        first = re.sub(r"^\s*-\s*(?![\s\d])", "- 00:00:00 : ", lines[item])  # a lone item needs its time
        (dest / "agenda.txt").write_text("\n".join([*lines[:item], first]) + "\n", "utf-8")
    return dest, [t for t in turns if t[1] <= seconds]


def build(name: str, seed: int, minutes: float, seconds: float | None) -> tuple[Path, list[Turn]]:
    if name == "dense":
        folder, turns = _dense(seed)
    else:
        folder, turns = _synthesized(minutes) if name == "synth" else _joined(name, seed)
    return _cut(folder, turns, seconds)


# -- systems, each run as `speed.py --child SYSTEM FOLDER RESULT` ----------------------------------


def _recording(folder: Path) -> np.ndarray:
    from restitution import audio as audio_io

    return audio_io.read(next(p for p in folder.iterdir() if p.stem == "recording"))


def _faster_whisper(folder: Path, batched: bool) -> list[str]:
    import ctranslate2
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from restitution.options import ASROptions
    from restitution.transcribe.faster_whisper import _model_path

    audio = _recording(folder)
    model = WhisperModel(_model_path(ASROptions()), device="cpu", compute_type="int8", cpu_threads=2, num_workers=1)
    ctranslate2.set_random_seed(0)  # the temperature fallback samples
    common = {"language": "fr", "beam_size": 5, "word_timestamps": True, "vad_filter": True}
    if batched:
        segments, _ = BatchedInferencePipeline(model).transcribe(audio, batch_size=8, **common)
    else:
        segments, _ = model.transcribe(audio, **common)
    return [w.word for s in segments for w in s.words or ()]


def _openai_whisper(folder: Path) -> list[str]:
    import torch
    import whisper

    from restitution.transcribe.openai_whisper import _load_checkpoint, checkpoint_for

    torch.set_num_threads(2)
    audio = _recording(folder)
    path, heads = checkpoint_for("base")
    if path is None:
        raise SystemExit("no base checkpoint for openai-whisper")
    model = _load_checkpoint(path, heads)
    torch.manual_seed(0)
    result = whisper.transcribe(
        model, torch.from_numpy(audio), language="fr", beam_size=5, best_of=5, word_timestamps=True, fp16=False,
        verbose=None,
    )  # fmt: skip
    return [w["word"] for s in result["segments"] for w in s.get("words", ())]


def _restitution_command(
    folder: Path, tmp: Path, batched: bool, fallback: bool = True, conditioned: bool | None = None
) -> list[str]:
    """`restitution run` itself, as a user types it: the process measured is the CLI's."""
    args = [
        sys.executable,
        "-m",
        "restitution",
        "run",
        str(folder),
        "--out",
        str(tmp / "outputs"),
        "--language",
        "fr",
        "-v",
    ]
    if (folder / "turns.json").is_file() or "first" in folder.name:  # one agenda item: no offset to find
        args += ["--offset", "none"]
    settings = [f"batch_size = 8\ntemperature_fallback = {str(fallback).lower()}"] if batched else []
    if conditioned is not None:
        settings.append(f"condition_on_previous_text = {str(conditioned).lower()}")
    if settings:
        config = tmp / "asr.toml"
        config.write_text("[asr]\n" + "\n".join(settings) + "\n", "utf-8")
        args += ["--config", str(config)]
    return args


def _session_words(tmp: Path) -> list[str]:
    (data,) = [json.loads(p.read_text("utf-8")) for p in (tmp / "outputs").glob("*/session.json")]
    return [w["text"] for s in data["segments"] for w in s["words"]]


CHILDREN = {
    "fw-sequential": lambda f: _faster_whisper(f, batched=False),
    "fw-batched": lambda f: _faster_whisper(f, batched=True),
    "openai-whisper": _openai_whisper,
}
PIPELINES = {
    "restitution": lambda f, tmp: _restitution_command(f, tmp, batched=False),
    "restitution-batched": lambda f, tmp: _restitution_command(f, tmp, batched=True),
    "restitution-batched-t0": lambda f, tmp: _restitution_command(f, tmp, batched=True, fallback=False),
    "restitution-conditioned": lambda f, tmp: _restitution_command(f, tmp, batched=False, conditioned=True),
    "restitution-unconditioned": lambda f, tmp: _restitution_command(f, tmp, batched=False, conditioned=False),
}
SYSTEMS = [*CHILDREN, *PIPELINES]


def measure(system: str, folder: Path) -> dict:
    """Run one system in its own process; its words, wall and CPU seconds and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="speed-") as name:
        tmp = Path(name)
        result, log = tmp / "words.json", tmp / "stderr.txt"
        if system in PIPELINES:
            command = PIPELINES[system](folder, tmp)
        else:
            command = [sys.executable, __file__, "--child", system, str(folder), str(result)]
        with open(log, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
            # wait4: this process's own usage (and that of the children it waited for, ffmpeg)
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{system} on {folder.name} failed:\n{log.read_text('utf-8', 'replace')[-3000:]}")
        words = _session_words(tmp) if system in PIPELINES else json.loads(result.read_text("utf-8"))
        stages = [line for line in log.read_text("utf-8", "replace").splitlines() if "stage times:" in line]
    return {
        "stages": stages[-1].split("; ", 1)[-1] if stages else "",
        "words": words,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
    }


def wer(turns: list[Turn], words: list[str]) -> float:
    import jiwer

    ref = normalize(" ".join(t for _, _, t in turns), "fr")
    hyp = normalize(" ".join(words), "fr")
    return float(jiwer.wer(ref, hyp)) if ref else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--inputs", nargs="+", choices=["fleurs", "realfr", "dense", "synth"], default=["fleurs", "realfr", "synth"]
    )
    parser.add_argument(
        "--systems",
        nargs="+",
        choices=SYSTEMS,
        default=["fw-sequential", "fw-batched", "openai-whisper", "restitution"],
    )
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the synthesized session")
    parser.add_argument("--seconds", type=float, default=None, help="cut every input to its first SECONDS")
    parser.add_argument(
        "--openai-inputs",
        nargs="*",
        default=None,
        help="run openai-whisper on these inputs only (it is 10-20x slower; default: every input)",
    )
    parser.add_argument("--seed", type=int, default=1, help="arrangement of the joined clips (0: in file order)")
    parser.add_argument("--child", nargs=3, metavar=("SYSTEM", "FOLDER", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        system, folder, result = args.child
        Path(result).write_text(json.dumps(CHILDREN[system](Path(folder)), ensure_ascii=False), "utf-8")
        return
    systems = [BASELINE] + [s for s in args.systems if s != BASELINE]  # the ratios need the baseline
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.inputs:
        folder, turns = build(name, args.seed, args.minutes, args.seconds)
        seconds = len(_recording(folder)) / SR
        print(f"# {name}: {seconds:.0f} s of audio, {len(turns)} reference turns ({folder})", file=sys.stderr)
        base: dict = {}
        for system in systems:
            if system == "openai-whisper" and args.openai_inputs is not None and name not in args.openai_inputs:
                continue
            try:
                m = measure(system, folder)
            except RuntimeError as e:  # one system failing leaves the others' rows
                print(e, file=sys.stderr, flush=True)
                rows.append({"input": name, "system": f"{system}: failed"})
                continue
            base = base or m
            row = {
                "input": f"{name} ({seconds / 60:.1f} min)",
                "system": system,
                "wall RTF": m["wall"] / seconds,
                "CPU RTF": m["cpu"] / seconds,
                "wall ratio": m["wall"] / base["wall"],
                "CPU ratio": m["cpu"] / base["cpu"],
                "WER": wer(turns, m["words"]),
                "peak RSS MB": round(m["rss"]),
            }
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
            if m["stages"]:
                print(f"#   {m['stages']}", file=sys.stderr, flush=True)
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    print_table(rows, ["input", "system", "wall RTF", "CPU RTF", "wall ratio", "CPU ratio", "WER", "peak RSS MB"])


if __name__ == "__main__":
    main()
