"""Search at archive scale: 1,000 synthetic sessions of 90 minutes (about 10 million words).

    python benchmarks/search.py                  # the full run (a few minutes, ~1.5 GB of disk)
    python benchmarks/search.py --sessions 50    # a quick look

Builds an index with `restitution.index.index_session` (one transaction per session, as a batch
would), then times 100 varied queries through `restitution.index.search` (phrases, prefixes,
booleans, speaker/session/chapter/date filters, rare and common words), each repeated, and
prints the index size, the build time and the latency median and 95th percentile.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from restitution import index  # noqa: E402
from restitution.types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word  # noqa: E402

COMMON = """de la le et les des à un une en du que qui pour dans est pas ce il on nous vous sur au avec
par plus ne se sont mais comme fait être tout aussi bien cette ont très peut donc alors faire
leur même on y a c'est qu'il d'un d'une l'on aujourd'hui parce quand où chose choses temps
travail projet projets public publics culture culturel culturelle artistes création lieu lieux
question questions idée idées monde gens ensemble atelier ateliers ministère service structure
réseau équipe équipes outils moment années année exemple partie besoin façon manière""".split()
DOMAIN = """réemploi ressourcerie ressourceries économie circulaire décors costumes scénographie
numérique données archives spectacle vivant théâtre scène plateau environnement immersif
interactive fictions médiation tiers-lieux mutualisation matériaux stockage transport
coopération financement subvention territoire diffusion billetterie métadonnées plateforme""".split()
PHRASES = [
    "économie circulaire",
    "réemploi des décors",
    "spectacle vivant",
    "création en environnement numérique",
    "tiers-lieux culturels",
    "mutualisation des outils",
    "gestion des données",
    "ressourceries artistiques",
    "fictions interactives",
    "droits culturels",
    "transition écologique",
    "financement participatif",
]
FIRST = "Stéphanie Quentin Manon Dorothée Pierre Romain Anne Yves-Armel Hélène Jérôme Clémence Benoît Éric Agnès Loïc Maëlle Zoé François Céline Gaël".split()
LAST = "Mabileau Rioual Picard Burillon Beffeyte Delassus Le\u00a0Gall Martin Lefèvre Béranger Duchêne Moreau Garnier Chevalier Gauthier Fontaine Rousseau Lemaître Bérard Noël".split()
SYLLABLES = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge go la le li lo lu ma me mi mo mu na ne ni no pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vé rè té lé mé ni ou an on in eau ette ion ment".split()


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    tail = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(30_000)}
    words = COMMON + DOMAIN + sorted(tail)
    # Zipf-like: the k-th word is 1/k as frequent as the first, the way real speech goes.
    weights = [1.0 / (k + 1) ** 1.05 for k in range(len(words))]
    return words, weights


def make_session(n: int, rng: random.Random, words: list[str], cum: list[float], minutes: float) -> SessionResult:
    sid = f"seance-{n:04d}"
    names = rng.sample([f"{first} {last}" for first in FIRST for last in LAST], rng.randint(3, 6))
    speakers = tuple(Speaker(f"S{i + 1}", name, None, 0.0, "agenda") for i, name in enumerate(names))
    duration = minutes * 60
    cuts = sorted(rng.uniform(60, duration - 60) for _ in range(rng.randint(4, 8)))
    starts = [0.0] + cuts
    chapters = tuple(
        Chapter(i + 1, f"Atelier {rng.choice(DOMAIN)} {rng.choice(PHRASES)}", s, s, (starts + [duration])[i + 1])
        for i, s in enumerate(starts)
    )
    segments, t, who = [], 0.0, "S1"
    while t < duration - 8:
        if rng.random() < 0.08:
            who = rng.choice(speakers).id
        n_words = rng.randint(6, 24)
        text = rng.choices(words, cum_weights=cum, k=n_words)
        if rng.random() < 0.05:
            text.insert(rng.randrange(len(text)), rng.choice(PHRASES))
        tokens = " ".join(text).split()
        length = len(tokens) * 0.48
        timed = tuple(Word(t + i * 0.48, t + i * 0.48 + 0.4, " " + w, 0.9) for i, w in enumerate(tokens))
        segments.append(Segment(t, t + length, " ".join(tokens), timed, who))
        t += length + rng.uniform(0.1, 1.2)
    year = 2015 + n * 10 // 1000
    return SessionResult(
        session=Session(
            id=sid,
            recording=Path(f"{sid}.mp3"),
            title=f"Séance {n}: {rng.choice(PHRASES)}",
            date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        ),
        audio=AudioInfo(Path(f"{sid}.mp3"), duration, "0" * 64, 16000, 1, "mp3"),
        language="fr",
        offset=Offset(0.0, "none"),
        speakers=speakers,
        chapters=chapters,
        segments=tuple(segments),
    )


def queries(rng: random.Random, words: list[str], n_sessions: int) -> list[tuple[str, str, dict]]:
    """100 (kind, query, filters): the mix a user of the archive would type."""
    tail = words[len(COMMON) + len(DOMAIN) :]
    people = [f"{first} {last}" for first in FIRST for last in LAST]
    q: list[tuple[str, str, dict]] = []
    q += [("common word", w, {}) for w in rng.sample(COMMON[:40], 10)]
    q += [("topic word", w, {}) for w in rng.sample(COMMON[60:] + DOMAIN, 15)]
    q += [("rare word", w, {}) for w in rng.sample(tail[-20000:], 15)]
    q += [("phrase", f'"{p}"', {}) for p in rng.sample(PHRASES, 10)]
    q += [("two words", f"{a} {b}", {}) for a, b in zip(rng.sample(DOMAIN, 5), rng.sample(COMMON[40:], 5))]
    q += [("accent-free phrase", '"economie circulaire"', {}), ("accent-free word", "reemploi", {})]
    q += [("prefix", w[:5] + "*", {}) for w in rng.sample(DOMAIN, 5)]
    q += [("boolean", f"{a} AND {b}", {}) for a, b in zip(rng.sample(DOMAIN, 4), rng.sample(DOMAIN, 4))]
    q += [("boolean", f"{a} OR {b}", {}) for a, b in zip(rng.sample(DOMAIN, 3), rng.sample(tail, 3))]
    q += [("boolean", f"{a} NOT {b}", {}) for a, b in zip(rng.sample(DOMAIN, 3), rng.sample(COMMON[60:], 3))]
    q += [("speaker filter", w, {"speaker": rng.choice(people)}) for w in rng.sample(DOMAIN, 8)]
    q += [("speaker filter, accents off", w, {"speaker": "stephanie MABILEAU"}) for w in rng.sample(COMMON[:40], 4)]
    q += [("session filter", w, {"session": f"seance-{rng.randrange(n_sessions):04d}"}) for w in rng.sample(DOMAIN, 6)]
    q += [
        ("chapter filter", w, {"chapter": c})
        for w, c in zip(rng.sample(DOMAIN, 3), ("ressourceries", "économie circulaire", "tiers-lieux cult*"))
    ]
    q += [
        ("date filter", w, {"since": "2019-01-01", "until": "2020-12-31"}) for w in rng.sample(DOMAIN + COMMON[:20], 7)
    ]
    return q[:100]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--minutes", type=float, default=90.0)
    parser.add_argument("--db", type=Path, help="index file to (re)use; default: a temporary folder")
    parser.add_argument("--reuse", action="store_true", help="skip the build when --db exists")
    parser.add_argument("--repeat", type=int, default=3, help="times each query runs (the median is kept)")
    args = parser.parse_args()

    rng = random.Random(7)
    words, weights = vocabulary(rng)
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    tmp = tempfile.TemporaryDirectory(prefix="restitution-bench-")
    db = args.db or Path(tmp.name) / "index.sqlite"

    if not (args.reuse and db.exists()):
        for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            stale.unlink(missing_ok=True)
        n_words, build = 0, 0.0
        for n in range(args.sessions):
            result = make_session(n, rng, words, cum, args.minutes)
            n_words += sum(len(s.text.split()) for s in result.segments)
            t0 = time.perf_counter()
            index.index_session(db, result, Path(result.session.id))
            build += time.perf_counter() - t0
            if (n + 1) % 100 == 0:
                print(f"  {n + 1} sessions, {n_words / 1e6:.1f} M words, {build:.0f} s indexing", flush=True)
        t0 = time.perf_counter()
        index.optimize(db)
        merge = time.perf_counter() - t0
        print(f"indexed {args.sessions} sessions x {args.minutes:.0f} min = {n_words / 1e6:.2f} M words")
        print(f"build time: {build:.1f} s indexing + {merge:.1f} s final FTS merge (text generation not counted)")
    size = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    print(f"index size: {size / 1e6:.0f} MB ({db})")

    qs = queries(random.Random(11), words, args.sessions)
    index.search(db, "culture", limit=20)  # open the file once so the first timing is not a cold disk read
    timings, cpu_timings, by_kind = [], [], {}
    for kind, query, filters in qs:
        runs, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            hits = index.search(db, query, limit=20, **filters)
            runs.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        ms = statistics.median(runs)
        timings.append(ms)
        cpu_timings.append(statistics.median(cpu))
        by_kind.setdefault(kind, []).append((ms, query, len(hits)))

    def p95(values: list[float]) -> float:
        return sorted(values)[int(round(0.95 * (len(values) - 1)))]

    print(
        f"{len(timings)} queries, limit 20: median {statistics.median(timings):.1f} ms, p95 {p95(timings):.1f} ms, "
        f"max {max(timings):.1f} ms (wall clock; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"  CPU time of the process: median {statistics.median(cpu_timings):.1f} ms, p95 {p95(cpu_timings):.1f} ms")
    for kind, rows in by_kind.items():
        worst = max(rows)
        print(
            f"  {kind:28s} n={len(rows):2d} median {statistics.median(r[0] for r in rows):6.1f} ms  worst {worst[0]:6.1f} ms ({worst[1]!r}, {worst[2]} hits)"
        )
    # Not in the 100: the most frequent word alone, where bm25's document count scan dominates.
    for query in ("de", "les"):
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            index.search(db, query, limit=20)
            runs.append((time.perf_counter() - t0) * 1000)
        print(f"  extreme: {query!r} alone (in half of all segments): {statistics.median(runs):.1f} ms")
    tmp.cleanup()


if __name__ == "__main__":
    main()
