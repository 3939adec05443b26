"""Naming benchmark: who is who in co-presented items, on harder synthesized sessions.

    python benchmarks/naming.py [--seeds 100-115] [--replicas 200-207] [--work DIR] [--cues none,spoken,...]

Each seed makes a session (benchmarks/_naming_sessions.py: voices drawn per seed, three
co-presented items spoken at length, one sentence at a time or briefly, late starts that
cut the first speaker's whole first turn, names spoken or not, real voices mixed in); each
replica one of restitution.synth's own sessions with the seed's eight names, voices drawn
per seed and a late start of 5-60 s. It runs the pipeline's own stages on each (faster-whisper,
embedded diarization, offset estimate, chapters, the agenda's check; cached under --work),
then names the voices with each set of cues and scores the result against the truth:

- named right: of the named speakers' speech that diarization heard, the share under the
  right name;
- unnamed: the most seconds of one participant's speech under an agenda name;
- swapped: co-presented pairs whose two names went to each other's voices (a voice's name in
  an item is the one most of its speech there carries); wrong: pairs with any voice misnamed;
- flagged: of the wrong pairs, those where a wrongly named voice was marked uncertain.

Seeds 0-19 and replicas 20-29 were used while building the cues; report held-out ones (100 and up).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _naming_sessions import Spec, draw_spec, make, make_replica  # noqa: E402

from restitution.options import PipelineOptions  # noqa: E402
from restitution.types import Diarization, Session, Speaker  # noqa: E402
from synth import SynthTruth  # noqa: E402

CUE_SETS = {
    "none": frozenset(),
    "order": frozenset({"order"}),
    "spoken": frozenset({"spoken"}),
    "pitch": frozenset({"pitch"}),
    "library": frozenset({"library"}),
    "all but library": frozenset({"order", "spoken", "pitch"}),  # a first session: no voice known yet
    "all": frozenset({"order", "spoken", "pitch", "library"}),
}


def seeds_arg(text: str) -> list[int]:
    out: list[int] = []
    for part in filter(None, text.split(",")):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def stages(dest: Path, options: PipelineOptions, until: str = "speakers", work: str = ".work") -> dict:
    """Walk the pipeline's own stage table up to `until` (by default up to naming: decode,
    speech map, transcription, diarization, recovery, offset, chapters, the agenda's check),
    each result cached in dest/<work> as a run caches it; return the values by name."""
    from restitution import pipeline
    from restitution.cache import StageCache
    from restitution.stages import Run

    truth = SynthTruth.from_json(dest / "truth.json")
    session = Session(dest.name, dest / truth.recording, dest / truth.agenda)
    prepared = pipeline.prepare(session, options)
    keys = pipeline.stage_keys(session, options, prepared.agenda, prepared.info.sha256)
    values = {"audio": prepared.info, "agenda": prepared.agenda, "session": session}
    run = Run(prepared, options, lambda *a, **k: None, None, StageCache(dest / work), values)
    t0 = time.process_time()
    for stage in pipeline.STAGES:
        if stage.name == until:
            break
        if stage.name in keys.stages:
            pipeline._run_stage(run, stage, keys.stages[stage.name].key)
    run.values["seconds"] = time.process_time() - t0
    return run.values


def library_for(dest: Path, truth: SynthTruth, samples, lib_path: Path):
    """A voice library that knows the first-listed speaker of each co-presented item, enrolled
    from that speaker's own true turns (as an earlier session would have)."""
    import numpy as np

    from restitution.diarize.embedded import embed_windows, load_embedder, windows
    from restitution.voices import VoiceLibrary

    library = VoiceLibrary(lib_path)
    embedder = load_embedder("campplus")
    for item in truth.items:
        if len(item.speakers) < 2:
            continue
        name = item.speakers[0]
        spans = [(t.start, t.end) for t in truth.turns if t.speaker == name][:6]
        vectors = embed_windows(samples, windows(spans), embedder)
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        library.enroll(name, vectors.mean(axis=0), model=f"embedded/{embedder.name}", source="benchmark")
    return library


def score(truth: SynthTruth, dia: Diarization, speakers: tuple[Speaker, ...]) -> dict:
    by_id = {s.id: s for s in speakers}
    agenda_names = {n for it in truth.items for n in it.speakers}
    covered = right = 0.0
    unnamed: dict[str, float] = defaultdict(float)
    for ref in truth.turns:
        for hyp in dia.turns:
            overlap = min(ref.end, hyp.end) - max(ref.start, hyp.start)
            if overlap <= 0:
                continue
            name = by_id[hyp.speaker].name
            if ref.speaker:
                covered += overlap
                right += overlap * (name == ref.speaker)
            elif name in agenda_names:
                unnamed[ref.voice] += overlap
    pairs = swapped = wrong = flagged = 0
    for item in truth.items:
        if len(item.speakers) < 2:
            continue
        pairs += 1
        got, doubt = {}, {}
        for name in item.speakers:
            tally: dict[str, float] = defaultdict(float)
            for ref in truth.turns:
                if ref.speaker != name or not (item.start <= ref.start < item.end):
                    continue
                for hyp in dia.turns:
                    overlap = min(ref.end, hyp.end) - max(ref.start, hyp.start)
                    if overlap > 0:
                        tally[hyp.speaker] += overlap
            label = max(tally, key=tally.get) if tally else None
            got[name] = by_id[label].name if label else None
            doubt[name] = bool(label and by_id[label].uncertain)
        a, b = item.speakers[:2]
        swapped += got[a] == b and got[b] == a
        bad = [n for n in item.speakers if got[n] != n]
        wrong += bool(bad)
        flagged += bool(bad) and any(doubt[n] for n in bad)
    given = {s.name for s in speakers}
    return {
        "named": right / max(covered, 1e-9),
        "unnamed_s": max(unnamed.values(), default=0.0),
        "missing": len(agenda_names - given),
        "pairs": pairs,
        "swapped": swapped,
        "wrong": wrong,
        "flagged": flagged,
        "uncertain": sum(s.uncertain for s in speakers),
    }


def evaluate(dest: Path, cue_sets: list[str], options: PipelineOptions) -> tuple[Spec, dict[str, dict]]:
    from restitution.speakers import assign_words, name_speakers

    truth = SynthTruth.from_json(dest / "truth.json")
    spec = Spec(**json.loads((dest / "spec.json").read_text("utf-8")))
    st = stages(dest, options)
    samples, agenda = st["samples"], st["agenda"]
    segments = assign_words(st["transcript"], st["diarization"])
    out = {}
    for key in cue_sets:
        cues = CUE_SETS[key]
        with tempfile.TemporaryDirectory(prefix="naming-lib-") as tmp:
            library = library_for(dest, truth, samples, Path(tmp) / "voices.sqlite") if "library" in cues else None
            speakers, _ = name_speakers(
                segments,
                st["diarization"],
                st["chapters"],
                agenda,
                voices=library,
                language="fr",
                samples=samples,
                cues=cues,
            )
        out[key] = score(truth, st["diarization"], speakers)
    out["_offset_error"] = {"value": st["offset"].seconds - truth.offset}
    return spec, out


def conditions(spec: Spec) -> list[str]:
    if spec.styles == ["replica"] * 3:
        return [
            "all sessions",
            "kind: replica (restitution.synth)",
            f"first turn cut: {'yes' if spec.cut_first else 'no'}",
        ]
    return [
        "all sessions",
        "kind: harder",
        f"names spoken: {'yes' if spec.handovers else 'no'}",
        f"first turn cut: {'yes' if spec.cut_first else 'no'}",
        f"pairs: {spec.pairs} gender",
        f"voices: {'real + synthesized' if spec.real else 'synthesized'}",
    ] + [f"style: {s}" for s in sorted(set(spec.styles))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="100-115", help="harder sessions, e.g. 0-9 or 100-115,120")
    parser.add_argument("--replicas", default="200-207", help="sessions of restitution.synth itself ('' for none)")
    parser.add_argument(
        "--work",
        default=str(Path(tempfile.gettempdir()) / "restitution-naming-bench"),
        help="sessions and cached stages (kept between runs)",
    )
    parser.add_argument("--cues", default=",".join(CUE_SETS))
    parser.add_argument("--per-seed", action="store_true", help="print one row per session")
    args = parser.parse_args()
    logging.getLogger("restitution").setLevel(logging.ERROR)  # every doubtful name would be logged
    cue_sets = args.cues.split(",")
    # The run's defaults, French as the sessions are; outputs (the index) in the work folder.
    options = dataclasses.replace(PipelineOptions(), language="fr", outputs=str(Path(args.work) / "outputs"))
    rows = []
    runs = [(s, False) for s in seeds_arg(args.seeds)] + [(s, True) for s in seeds_arg(args.replicas or "")]
    for seed, replica in runs:
        dest = Path(args.work) / f"{'replica' if replica else 'seed'}-{seed}"
        if not (dest / "truth.json").is_file():
            make_replica(dest, seed) if replica else make(dest, draw_spec(seed))
        spec, result = evaluate(dest, cue_sets, options)
        rows.append((spec, result))
        if args.per_seed:
            flags = (
                f"spoken={int(spec.handovers)} cut={int(spec.cut_first)} {spec.pairs} real={int(spec.real)} "
                f"{','.join(spec.styles)}"
            )
            cells = "  ".join(
                f"{k}: {r['named']:.3f}/{r['swapped']}sw/{r['wrong']}w/{r['unnamed_s']:.1f}s"
                for k, r in result.items()
                if not k.startswith("_")
            )
            error = result["_offset_error"]["value"]
            kind = "replica" if replica else "seed"
            print(f"{kind} {seed:<4} {flags:<48} offset err {error:+.2f}  {cells}", flush=True)
    print(
        f"\n{len(rows)} sessions. named right: share of the named speech heard that carries the right name "
        "(mean, worst session); unnamed: most seconds of one participant under an agenda name; pairs: co-presented "
        "items, swapped (names exchanged), wrong (a voice misnamed), flagged (a misnamed voice marked uncertain)"
    )
    header = (
        "| {} | sessions | named right | worst | unnamed max s | pairs | swapped | wrong | wrong & flagged | "
        "uncertain names | names given to no voice |"
    )
    rule = "|---|---|---|---|---|---|---|---|---|---|---|"
    print("\n" + header.format("cues") + "\n" + rule)
    for cue in cue_sets:
        print(_row(cue, [r[cue] for _, r in rows]))
    for cue in [c for c in ("none", "all but library") if c in cue_sets]:
        print(f"\nby condition, cues: {cue}\n" + header.format("condition") + "\n" + rule)
        groups: dict[str, list[dict]] = defaultdict(list)
        for spec, result in rows:
            for cond in conditions(spec):
                groups[cond].append(result[cue])
        for cond in sorted(groups):
            print(_row(cond, groups[cond]))


def _row(title: str, rs: list[dict]) -> str:
    named = sum(r["named"] for r in rs) / len(rs)
    return (
        f"| {title} | {len(rs)} | {named:.1%} | {min(r['named'] for r in rs):.1%} | "
        f"{max(r['unnamed_s'] for r in rs):.1f} | "
        f"{sum(r['pairs'] for r in rs)} | {sum(r['swapped'] for r in rs)} | {sum(r['wrong'] for r in rs)} | "
        f"{sum(r['flagged'] for r in rs)} | {sum(r['uncertain'] for r in rs)} | {sum(r['missing'] for r in rs)} |"
    )


if __name__ == "__main__":
    main()
