"""Known voices: a voiceprint library in one SQLite file.

Each row is one voiceprint (a unit-length speaker embedding) for a name, tagged with the
embedding model that made it: prints from different models are never compared. A name's
prints are averaged when matching, so each session enrolled sharpens the voice.

    library = VoiceLibrary("outputs/voices.sqlite")
    library.enroll("Pierre Beffeyte", embedding, model="embedded/campplus")
    library.match(centroid, model="embedded/campplus")  # ("Pierre Beffeyte", 0.83) or None
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import AudioError, ConfigError, OutputError
from .files import create_empty
from .types import Diarization, Speaker

log = logging.getLogger("restitution")

# The enroll stage's algorithm: bump it when a change alters which voiceprints a session adds.
ENROLL_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS voiceprints (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    embedding BLOB NOT NULL,
    seconds REAL NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS voiceprints_model ON voiceprints (model, name);
"""


@dataclass(frozen=True)
class Voice:
    name: str
    model: str
    prints: int
    seconds: float


def _unit(vector) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(v))
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("a voiceprint must be a non-zero finite vector")
    return v / norm


class VoiceLibrary:
    """Voiceprints in the SQLite file `path` (created on first write)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_empty(self.path)
            db = sqlite3.connect(self.path, timeout=10)
            db.executescript(SCHEMA)
        except sqlite3.DatabaseError as e:
            raise OutputError(f"voice library unusable: {e}", self.path) from None
        except OSError as e:
            raise OutputError(f"cannot create the voice library: {e.strerror}", self.path) from None
        return db

    def enroll(self, name: str, embedding, *, model: str, seconds: float = 0.0, source: str = "") -> None:
        """Add one voiceprint for `name` (several per name are kept and averaged).

        A print from the same `source` (a session id, say) replaces the previous one, so
        re-running a session does not weigh its voices twice.
        """
        name = " ".join(name.split())
        if not name:
            raise ConfigError("a voice needs a name, not a blank one", self.path)
        blob = _unit(embedding).astype("<f4").tobytes()
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            if source:
                db.execute("DELETE FROM voiceprints WHERE name = ? AND model = ? AND source = ?", (name, model, source))
            db.execute(
                "INSERT INTO voiceprints (name, model, embedding, seconds, source, created) VALUES (?, ?, ?, ?, ?, ?)",
                (name, model, blob, float(seconds), source, now),
            )
        db.close()

    def list(self) -> list[Voice]:
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, model, COUNT(*), SUM(seconds) FROM voiceprints GROUP BY name, model ORDER BY name, model"
            ).fetchall()
        db.close()
        return [Voice(n, m, c, round(s or 0.0, 1)) for n, m, c, s in rows]

    def forget(self, name: str) -> int:
        """Delete every voiceprint of `name`; return how many there were."""
        if not self.path.exists():
            return 0
        with self._connect() as db:
            count = db.execute("DELETE FROM voiceprints WHERE name = ?", (" ".join(name.split()),)).rowcount
        db.close()
        return count

    def forget_print(self, name: str, model: str, source: str) -> int:
        """Delete the prints of `name` that `source` (a session id) gave under `model`: a
        corrected session takes back a print it enrolled under a wrong name."""
        if not self.path.exists():
            return 0
        with self._connect() as db:
            count = db.execute(
                "DELETE FROM voiceprints WHERE name = ? AND model = ? AND source = ?",
                (" ".join(name.split()), model, source),
            ).rowcount
        db.close()
        return count

    def voices(self, model: str) -> dict[str, np.ndarray]:
        """name -> mean unit voiceprint, for one embedding model."""
        if not self.path.exists():
            return {}
        with self._connect() as db:
            rows = db.execute("SELECT name, embedding FROM voiceprints WHERE model = ?", (model,)).fetchall()
        db.close()
        grouped: dict[str, list[np.ndarray]] = {}
        for name, blob in rows:
            grouped.setdefault(name, []).append(np.frombuffer(blob, dtype="<f4"))
        return {n: _unit(np.mean(v, axis=0)) for n, v in grouped.items()}

    def match(self, embedding, *, model: str, threshold: float = 0.0) -> tuple[str, float] | None:
        """The known voice most similar to `embedding` (cosine), if at least `threshold`."""
        known = self.voices(model)
        if not known:
            return None
        query = _unit(embedding)
        names = list(known)
        sims = np.stack([known[n] for n in names]) @ query
        best = int(np.argmax(sims))
        return (names[best], float(sims[best])) if sims[best] >= threshold else None


def enroll_from_session(
    library: VoiceLibrary, speakers: Iterable[Speaker], diarization: Diarization, *, session: str = ""
) -> list[str]:
    """Enroll the voices whose names came from the agenda; return the names enrolled.

    A name marked uncertain (a low confidence, or an agenda line the parser was unsure is a
    person's) is left out: a wrong print would name the wrong voice in every later session."""
    enrolled = []
    for sp in speakers:
        centroid = diarization.centroids.get(sp.id)
        if sp.uncertain:
            log.info("%s (%s) not enrolled: the name is uncertain", sp.name, sp.id)
            continue
        if sp.source == "agenda" and sp.name and centroid:
            library.enroll(sp.name, centroid, model=diarization.engine, seconds=sp.seconds, source=session)
            enrolled.append(sp.name)
    return enrolled


def embed_clips(
    paths: Iterable[str | Path], embedding: str = "campplus", threads: int = 1
) -> tuple[np.ndarray, str, float]:
    """One voiceprint from the speech in some clips of one voice: (vector, model, seconds of speech).

    `model` is the tag to enroll it under; it matches the embedded engine's Diarization.engine.
    """
    from . import audio
    from .diarize.embedded import embed_windows, load_embedder, speech_regions, windows
    from .threads import torch_threads

    vectors, seconds = [], 0.0
    with torch_threads(threads):
        embedder = load_embedder(embedding)
        for path in paths:
            samples = audio.read(Path(path))
            regions = speech_regions(samples)
            if not regions:
                raise AudioError("no speech found in this clip", path)
            seconds += sum(e - s for s, e in regions)
            vectors.append(embed_windows(samples, windows(regions), embedder))
    if not vectors:
        raise ValueError("no clips given")
    stacked = np.concatenate(vectors)
    stacked = stacked / np.linalg.norm(stacked, axis=1, keepdims=True)
    log.info("voiceprint from %.1f s of speech (%d windows, %s)", seconds, len(stacked), embedder.name)
    return _unit(stacked.mean(axis=0)), f"embedded/{embedder.name}", seconds


def learnt_spellings(path: Path) -> tuple[str, ...]:
    """The names people spelled in corrections of this archive (corrections/learn.py writes
    them beside the voiceprints): later sessions' respelling and decoder hints use them."""
    if not path.is_file():
        return ()
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = db.execute("SELECT spelling FROM spellings ORDER BY spelling").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError:  # no such table yet, or not a database: nothing learnt
        return ()
    return tuple(r[0] for r in rows)
