"""Long sessions in bounded memory: wall time per stage, real-time factor and peak RSS at
10, 60 and 180 minutes, so the growth is visible.

Each length is a synthesized session (espeak-ng speech with long pauses, applause-like noise,
tones and silence between items), processed by `run_session` in a fresh subprocess so its
peak RSS is its own. Sessions are cached in benchmarks/.cache/ (gitignored).

    python3 benchmarks/long.py                 # 10, 60 and 180 minutes
    python3 benchmarks/long.py --minutes 10 60
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the synth test helper
from _common import print_table  # noqa: E402

from restitution.pipeline import STAGE_NAMES  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache" / "long"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from restitution.options import load_options
from restitution.pipeline import run_session
from restitution.sessions import load_session

folder, outputs = Path(sys.argv[1]), sys.argv[2]
stamps = []
def hook(step, artifact=None, *, completed=None, total=None):
    if not stamps or stamps[-1][0] != step:
        stamps.append((step, time.monotonic()))
session, data, toml = load_session(folder)
options = load_options(None, data, str(toml), {"outputs": outputs, "language": "fr"})
start = time.monotonic()
result = run_session(session, options, hook)
end = time.monotonic()
stages = {}
for (step, t0), (_, t1) in zip(stamps, stamps[1:] + [("end", end)]):
    stages[step] = stages.get(step, 0.0) + (t1 - t0)
print(json.dumps({
    "wall": end - start,
    "duration": result.audio.duration,
    "stages": stages,
    "rss_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "segments": len(result.segments),
}))
"""


def make(minutes: float) -> Path:
    from synth import make_session

    folder = CACHE / f"session-{minutes:g}min"
    if not (folder / "truth.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        make_session(folder, seed=int(minutes), offset=17.0, minutes=minutes, noise_sections=True, bitrate="32k")
        print(f"# made a {minutes:g}-minute session in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return folder


def measure(folder: Path, outputs: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(outputs or tmp)
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), out], capture_output=True, text=True, check=False
        )
    if proc.returncode != 0:
        raise SystemExit(f"{folder}: run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10, 60, 180])
    parser.add_argument(
        "--outputs",
        type=Path,
        default=None,
        help="keep outputs and stage caches here: a rerun measures only the stages whose cache misses",
    )
    args = parser.parse_args()
    rows = []
    for minutes in args.minutes:
        folder = make(minutes)
        m = measure(folder, args.outputs)
        row = {
            "minutes": f"{m['duration'] / 60:.0f}",
            "wall s": f"{m['wall']:.0f}",
            "RTF": f"{m['wall'] / m['duration']:.3f}",
            "peak RSS MB": f"{m['rss_self']:.0f}",
        }
        for s in STAGE_NAMES:
            row[f"{s} s"] = f"{m['stages'].get(s, 0.0):.0f}"
        rows.append(row)
        print(f"# {minutes:g} min done: {row}", file=sys.stderr)
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print_table(rows, list(rows[0]))
    if len(rows) >= 2:
        peaks = [float(r["peak RSS MB"]) for r in rows]
        print(f"\npeak RSS growth, last / previous: {peaks[-1] / peaks[-2]:.2f}x")


if __name__ == "__main__":
    main()
