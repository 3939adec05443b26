"""Speech lost between hearing and words (issue 12): what the pipeline's transcript deletes,
against bare faster-whisper without a VAD and with its Silero VAD, on real speech joined with
long pauses; and the diarization error on the AMI far-field excerpts.

    python benchmarks/speech_loss.py                     # every input and the AMI table
    python benchmarks/speech_loss.py --inputs fleurs     # one input (fleurs, realfr, synth)
    python benchmarks/speech_loss.py --skip-ami

Inputs (built the same way on every run, seeded):
- fleurs: the 10 FLEURS French clips, each after 20-40 s of pause, quiet noise (-70 dBFS) throughout;
- realfr: the 16 clips of ../shared/eval/realfr_dev (spontaneous, Québec, read French), likewise;
- synth: a 6-minute synthesized French session with applause, music and silence between items.
Systems, all on the same weights (Whisper base, int8, beam 5, temperature fallback, word times):
- bare faster-whisper without VAD (`vad_filter=False`), and with its Silero VAD (`vad_filter=True`);
- `restitution run` end to end (language given, no offset, one agenda item): session.json's words.
Deleted/substituted/inserted words come from jiwer's alignment after benchmarks._common.normalize;
Whisper's decoding is chaotic in small changes of its input (shifting one chunk by one sample
moved one arrangement's WER by 6 points), so compare totals over several arrangements (--seeds).
"turns lost" counts reference turns (a FLEURS clip, a transcript interval) with no word of the
output and no gap over them.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
from pathlib import Path

import ctranslate2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import normalize, print_table  # noqa: E402
from restitution import audio as audio_io  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
SR = 16000
NOISE_DBFS = -70.0
FILLERS = {"euh", "heu", "hum", "hm", "mh", "ben", "bah"}  # fillers Whisper leaves out by design

Turn = tuple[float, float, str]  # start, end, reference text


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    return (rng.standard_normal(n) * 10 ** (NOISE_DBFS / 20)).astype(np.float32)


def lay_out(
    clips: list[tuple[np.ndarray, list[Turn]]],
    rng: random.Random,
    gen: np.random.Generator,
    pauses: tuple[float, float] = (20.0, 40.0),
    tail: float = 5.0,
) -> tuple[np.ndarray, list[Turn]]:
    """Clips one after the other in the order given, each after a pause drawn from `pauses`
    seconds, `tail` seconds of silence at the end; quiet noise over everything."""
    parts, turns, t = [], [], 0.0
    for audio, clip_turns in clips:
        pause = rng.uniform(*pauses)
        parts.append(np.zeros(int(pause * SR), np.float32))
        t += int(pause * SR) / SR
        turns += [(t + s, t + e, text) for s, e, text in clip_turns]
        parts.append(audio.astype(np.float32))
        t += len(audio) / SR
    joined = np.concatenate(parts + [np.zeros(int(tail * SR), np.float32)])
    return joined + _noise(gen, len(joined)), turns


def join_with_pauses(clips: list[tuple[np.ndarray, list[Turn]]], seed: int) -> tuple[np.ndarray, list[Turn]]:
    """Clips one after the other (shuffled unless `seed` is 0), each after a 20-40 s pause;
    quiet noise over everything."""
    rng, gen = random.Random(seed), np.random.default_rng(seed)
    if seed:
        clips = rng.sample(clips, len(clips))
    return lay_out(clips, rng, gen)


def fleurs_clips() -> list[tuple[np.ndarray, list[Turn]]]:
    clips = []
    for ogg in sorted((EVAL / "fleurs_fr").glob("*.ogg")):
        audio = audio_io.read(ogg)
        clips.append((audio, [(0.0, len(audio) / SR, ogg.with_suffix(".txt").read_text("utf-8").strip())]))
    return clips


def fleurs(seed: int) -> tuple[np.ndarray, list[Turn]]:
    return join_with_pauses(fleurs_clips(), seed)


def _clean(text: str) -> str:
    """A corpus transcript as a plain reference: markers out, first of alternatives, elided letters in."""
    text = re.sub(r"<[^>]*>", " ", text)  # <noise>
    text = re.sub(r"\[([^,\]]*)(,[^\]]*)?\]", r"\1", text)  # [ben,bè] -> ben
    text = re.sub(r"\(([^)]*)\)", r"\1", text)  # i(l) -> il
    text = re.sub(r"\bipu_\d+\b|[#+@*$]", " ", text)
    return " ".join(w for w in text.split() if w.lower().strip(",.") not in FILLERS and not w.endswith("-"))


def _textgrid(path: Path) -> list[Turn]:
    raw = path.read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xfe\xff", b"\xff\xfe") else raw.decode("utf-8", "replace")
    out = []
    for m in re.finditer(r'xmin = ([\d.]+)\s*xmax = ([\d.]+)\s*text = "([^"]*)"', text):
        cleaned = _clean(m[3])
        if cleaned:
            out.append((float(m[1]), float(m[2]), cleaned))
    return out


def realfr_clips() -> list[tuple[np.ndarray, list[Turn]]]:
    base = EVAL / "realfr_dev"
    clips = []
    for grid in sorted((base / "sppas-samples").rglob("*.TextGrid")):
        wav = grid.with_suffix(".wav")
        if wav.is_file():
            clips.append((audio_io.read(wav), _textgrid(grid)))
    kaldi = base / "ssak-linto" / "kaldi" / "complete"
    texts = dict(line.split(" ", 1) for line in (kaldi / "text").read_text("utf-8").splitlines() if " " in line)
    turns: dict[str, list[Turn]] = {}
    for line in (kaldi / "segments").read_text("utf-8").splitlines():
        utt, rec, s, e = line.split()
        if _clean(texts.get(utt, "")):
            turns.setdefault(rec, []).append((float(s), float(e), _clean(texts[utt])))
    files = {
        "cfpp": "cfpp2channels.mp3",
        "salledebain_sch_13": "tcof2channels.wav",
        "separation_per_14": "tcof13bits.wav",
    }
    for rec, name in files.items():
        clips.append((audio_io.read(base / "ssak-linto" / "audio" / name), sorted(turns.get(rec, []))))
    leopard = json.loads((base / "picovoice-leopard" / "test_data.json").read_text("utf-8"))
    entry = next(t for t in leopard["tests"]["language_tests"] if t["language"] == "fr")
    audio = audio_io.read(base / "picovoice-leopard" / "test_fr.wav")
    clips.append((audio, [(0.0, len(audio) / SR, entry["transcript"])]))
    return clips


def realfr(seed: int) -> tuple[np.ndarray, list[Turn]]:
    return join_with_pauses(realfr_clips(), seed)


def synth(seed: int, cache: Path) -> tuple[np.ndarray, list[Turn]]:
    import synth as synth_mod

    dest = cache / f"speech_loss_synth_{seed}"
    if not (dest / "truth.json").is_file():
        synth_mod.make_session(dest, seed=12 + seed, minutes=6, noise_sections=True)
    truth = synth_mod.SynthTruth.from_json(dest / "truth.json")
    audio = audio_io.read(dest / truth.recording)
    return audio, [(s.start, s.end, s.text) for s in truth.sentences if not s.cut]


def cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (ffmpeg decodes and encodes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


INPUTS = {"fleurs": lambda seed, cache: fleurs(seed), "realfr": lambda seed, cache: realfr(seed), "synth": synth}


# -- systems -------------------------------------------------------------------------------------


def bare(audio: np.ndarray, language: str, vad: bool) -> tuple[list[tuple[float, float, str]], list]:
    """Bare faster-whisper with the pipeline's decoding options; (words, no gaps)."""
    from faster_whisper import WhisperModel

    from restitution.options import ASROptions
    from restitution.transcribe.base import temperatures
    from restitution.transcribe.faster_whisper import _model_path

    o = ASROptions()
    model = _bare_model(_model_path(o), o.threads, WhisperModel)
    segments, _ = model.transcribe(
        audio, language=language, beam_size=o.beam_size, best_of=5, temperature=list(temperatures(True)),
        word_timestamps=True, vad_filter=vad, condition_on_previous_text=o.condition_on_previous_text,
    )  # fmt: skip
    return [(w.start, w.end, w.word) for s in segments for w in s.words or ()], []


_MODELS: dict = {}


def _bare_model(path: str, threads: int, cls):
    if path not in _MODELS:
        _MODELS[path] = cls(path, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)
    return _MODELS[path]


def pipeline(
    audio: np.ndarray, language: str, conditioned: bool = False
) -> tuple[list[tuple[float, float, str]], list]:
    """`restitution run` on the audio as a session; (words, gaps) from its session.json.
    `conditioned`: with asr.condition_on_previous_text, as bare faster-whisper decodes."""
    import soundfile

    from restitution import run_session
    from restitution.options import ASROptions, PipelineOptions, VoiceOptions
    from restitution.types import Session

    with tempfile.TemporaryDirectory(prefix="speech-loss-") as tmp:
        folder = Path(tmp) / "session"
        folder.mkdir()
        soundfile.write(folder / "recording.wav", audio, SR, subtype="FLOAT")
        (folder / "agenda.txt").write_text("- 00:00:00 : Séance\n", "utf-8")
        options = PipelineOptions(
            language=language,
            offset="none",
            outputs=str(Path(tmp) / "outputs"),
            voices=VoiceOptions(enroll=False),
            asr=ASROptions(condition_on_previous_text=conditioned),
        )
        session = Session(id="session", recording=folder / "recording.wav", agenda_path=folder / "agenda.txt")
        run_session(session, options)
        data = json.loads((Path(tmp) / "outputs" / "session" / "session.json").read_text("utf-8"))
    words = [(w["start"], w["end"], w["text"]) for s in data["segments"] for w in s["words"]]
    return words, [(g["start"], g["end"]) for g in data.get("gaps", [])]


SYSTEMS = {
    "faster-whisper, no VAD": lambda audio, lang: bare(audio, lang, vad=False),
    "faster-whisper + Silero VAD": lambda audio, lang: bare(audio, lang, vad=True),
    "restitution run": pipeline,
    "restitution run, conditioned": lambda audio, lang: pipeline(audio, lang, conditioned=True),
}


# -- scoring -------------------------------------------------------------------------------------


def turns_lost(turns: list[Turn], words: list[tuple[float, float, str]], gaps: list[tuple[float, float]]) -> int:
    """Reference turns with no output word (by its middle, 0.5 s slack) and no gap over them."""
    middles = sorted((s + e) / 2 for s, e, _ in words)
    lost = 0
    for s, e, _ in turns:
        i = np.searchsorted(middles, s - 0.5)
        heard = i < len(middles) and middles[i] <= e + 0.5
        marked = any(min(e, ge) - max(s, gs) > 0 for gs, ge in gaps)
        lost += not (heard or marked)
    return lost


def score(name: str, system: str, turns: list[Turn], words, gaps, cpu: float, audio_seconds: float) -> dict:
    import jiwer

    ref = normalize(" ".join(t for _, _, t in turns), "fr")
    hyp = normalize(" ".join(w for _, _, w in sorted(words)), "fr")
    out = jiwer.process_words(ref, hyp)
    n = out.hits + out.substitutions + out.deletions
    return {
        "input": name,
        "system": system,
        "ref words": n,
        "WER": out.wer,
        "deleted": out.deletions,
        "substituted": out.substitutions,
        "inserted": out.insertions,
        "turns lost": f"{turns_lost(turns, words, gaps)}/{len(turns)}",
        "gap s": round(sum(e - s for s, e in gaps), 1),
        "CPU RTF": cpu / audio_seconds,
    }


def _totals(rows: list[dict]) -> list[dict]:
    """One row per input and system, summed over the arrangements (WER over all their words)."""
    out: dict[tuple[str, str], dict] = {}
    for r in rows:
        t = out.setdefault(
            (r["input"], r["system"]),
            {
                "input": r["input"],
                "system": r["system"],
                "ref words": 0,
                "deleted": 0,
                "substituted": 0,
                "inserted": 0,
                "lost": 0,
                "turns": 0,
                "gap s": 0.0,
                "cpu": 0.0,
                "n": 0,
            },
        )
        lost, turns = map(int, r["turns lost"].split("/"))
        for k in ("ref words", "deleted", "substituted", "inserted", "gap s"):
            t[k] += r[k]
        t["lost"], t["turns"], t["n"] = t["lost"] + lost, t["turns"] + turns, t["n"] + 1
        t["cpu"] += r["CPU RTF"]
    for t in out.values():
        t["WER"] = (t["deleted"] + t["substituted"] + t["inserted"]) / t["ref words"]
        t["turns lost"] = f"{t['lost']}/{t['turns']}"
        t["CPU RTF"] = t["cpu"] / t["n"]
        t["gap s"] = round(t["gap s"], 1)
    return list(out.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", nargs="+", choices=sorted(INPUTS), default=["fleurs", "realfr", "synth"])
    parser.add_argument("--systems", nargs="+", choices=sorted(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="arrangements of each input (clip order, pauses, noise; another synthesized session)",
    )
    parser.add_argument("--dump", type=Path, help="write each system's words per input here, as JSON")
    parser.add_argument("--skip-ami", action="store_true")
    args = parser.parse_args()
    if not EVAL.is_dir():
        raise SystemExit(f"{EVAL} is absent: the evaluation clips are needed")
    cache = Path(__file__).resolve().parent / ".cache"
    cache.mkdir(exist_ok=True)
    rows = []
    for name in args.inputs:
        for seed in range(args.seeds):
            audio, turns = INPUTS[name](seed, cache)
            print(f"{name} #{seed}: {len(audio) / SR:.0f} s of audio, {len(turns)} reference turns", flush=True)
            for system in args.systems:
                ctranslate2.set_random_seed(0)  # the temperature fallback samples: same draws for every system
                cpu = cpu_seconds()
                words, gaps = SYSTEMS[system](audio, "fr")
                rows.append(score(name, system, turns, words, gaps, cpu_seconds() - cpu, len(audio) / SR))
                rows[-1]["seed"] = seed
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
                if args.dump:
                    args.dump.mkdir(parents=True, exist_ok=True)
                    dump = {"turns": turns, "words": words, "gaps": gaps}
                    slug = re.sub(r"\W+", "-", system).strip("-").lower()
                    (args.dump / f"{name}-{seed}-{slug}.json").write_text(json.dumps(dump, ensure_ascii=False), "utf-8")
    print()
    print_table(
        _totals(rows),
        ["input", "system", "ref words", "WER", "deleted", "substituted", "inserted", "turns lost", "gap s", "CPU RTF"],
    )
    if not args.skip_ami:
        from benchmarks.diarization import run_ami
        from restitution.options import DiarizationOptions

        print("\nAMI diarization error (pyannote.metrics, no collar, overlap scored, as published), same clustering:")
        ami = []
        for vad, label in (
            ("silero", "Silero VAD 0.35 (before)"),
            ("map-no-overlap", "speech map, no second voices"),
            ("map", "speech map (default)"),
        ):
            r = run_ami(DiarizationOptions(), vad, quiet=True)
            ami.append(
                {
                    "speech detection": label,
                    "far-field DER": f"{r['far']:.1%}",
                    "miss": f"{r['far missed detection']:.1%}",
                    "false alarm": f"{r['far false alarm']:.1%}",
                    "confusion": f"{r['far confusion']:.1%}",
                    "headset mix DER": f"{r['mix']:.1%}",
                }
            )
            print(json.dumps(ami[-1], ensure_ascii=False), flush=True)
        print_table(ami, ["speech detection", "far-field DER", "miss", "false alarm", "confusion", "headset mix DER"])
        print("published pyannote 3.1 on AMI SDM (full meetings): 22.4 %")


if __name__ == "__main__":
    main()
