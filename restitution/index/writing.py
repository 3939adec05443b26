"""Writing sessions into the index: one transaction per session (or per rebuild)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..display import decoded
from ..errors import SearchIndexError
from ..export.session_json import read_session_json
from ..search_query import normalize, tokens
from ..types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word
from .schema import open_index, translate

# The index stage's algorithm (which rows a session becomes): bump it when that changes, and
# every session is indexed again. A new layout is SCHEMA_VERSION's business instead.
INDEX_VERSION = 1


def _doc_counts(word_lists: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for words in word_lists:
        counts.update(set(words.split()))
    return counts


def _word_times(seg: Segment, n_tokens: int) -> str:
    """When each folded word of the segment starts, so a hit can point at the matched word."""
    times = [round((w.start - seg.start) * 10) for w in seg.words for _ in tokens(w.text)]
    return " ".join(map(str, times)) if times and len(times) == n_tokens else ""


def _insert_session(conn: sqlite3.Connection, result: SessionResult, folder: str) -> None:
    s = result.session
    old = _doc_counts(
        w
        for (w,) in conn.execute(
            "SELECT words FROM segments WHERE sid IN (SELECT sid FROM sessions WHERE id = ?)", (s.id,)
        )
    )
    if old:
        conn.executemany("UPDATE terms SET docs = docs - ? WHERE term = ?", [(n, t) for t, n in old.items()])
        conn.executemany("DELETE FROM terms WHERE term = ? AND docs <= 0", [(t,) for t in old])
    conn.execute("DELETE FROM segments WHERE sid IN (SELECT sid FROM sessions WHERE id = ?)", (s.id,))
    for table in ("chapters", "speakers"):
        conn.execute(f"DELETE FROM {table} WHERE sid IN (SELECT sid FROM sessions WHERE id = ?)", (s.id,))
    conn.execute("DELETE FROM sessions WHERE id = ?", (s.id,))
    sid = conn.execute(
        "INSERT INTO sessions(id, folder, title, date, duration, language, recording, sha256) VALUES (?,?,?,?,?,?,?,?)",
        (
            s.id,
            folder,
            s.title or s.id,
            s.date,
            result.audio.duration,
            result.language,
            decoded(str(s.recording)),
            result.audio.sha256,
        ),
    ).lastrowid
    pids: dict[str | None, int | None] = {}
    names: dict[str | None, str | None] = {}
    for sp in result.speakers:
        names[sp.id] = sp.name or sp.id
        pids[sp.id] = conn.execute(
            "INSERT INTO speakers(sid, label, name, name_norm, role, seconds) VALUES (?,?,?,?,?,?)",
            (sid, sp.id, sp.name, normalize(sp.name) or None, sp.role, sp.seconds),
        ).lastrowid
    chapters = sorted(result.chapters, key=lambda c: c.start)
    cids = [
        conn.execute(
            "INSERT INTO chapters(sid, idx, title, title_norm, start, end) VALUES (?,?,?,?,?,?)",
            (sid, ch.index, ch.title, normalize(ch.title), ch.start, ch.end),
        ).lastrowid
        for ch in chapters
    ]
    # Explicit consecutive rowids (we hold the write lock): a session's segments form one rowid
    # range, which is what makes session and date filters cheap.
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM segments").fetchone()[0]
    rows: list[tuple[Any, ...]] = []
    k = 0
    for seg in sorted(result.segments, key=lambda g: (g.start, g.end)):
        text = " ".join(seg.text.split())
        if not text:
            continue
        while k + 1 < len(chapters) and chapters[k + 1].start <= seg.start + 1e-6:
            k += 1
        in_chapter = bool(chapters) and chapters[k].start <= seg.start + 1e-6
        if seg.speaker is not None and seg.speaker not in pids:
            pids[seg.speaker] = conn.execute(
                "INSERT INTO speakers(sid, label) VALUES (?, ?)", (sid, seg.speaker)
            ).lastrowid
        toks = tokens(text)
        rows.append(
            (
                next_id + len(rows),
                sid,
                cids[k] if in_chapter else None,
                pids.get(seg.speaker),
                seg.start,
                seg.end,
                text,
                " ".join(toks),
                names.get(seg.speaker, seg.speaker),
                chapters[k].title if in_chapter else None,
                _word_times(seg, len(toks)),
            )
        )
    conn.executemany(
        "INSERT INTO segments(id, sid, cid, pid, start, end, text, words, speaker, chapter, times)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    new = _doc_counts(r[7] for r in rows)
    conn.executemany(
        "INSERT INTO terms(term, docs) VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs",
        list(new.items()),
    )
    if rows:
        n_words = sum(r[7].count(" ") + 1 for r in rows if r[7])
        conn.execute(
            "UPDATE sessions SET seg_lo = ?, seg_hi = ?, n_segments = ?, n_words = ? WHERE sid = ?",
            (next_id, rows[-1][0], len(rows), n_words, sid),
        )


def _write(path: Path, conn: sqlite3.Connection, results: list[tuple[SessionResult, str]]) -> None:
    with translate(path):
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for result, folder in results:
                _insert_session(conn, result, folder)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def index_session(path: Path, result: SessionResult, out_dir: Path) -> None:
    """Replace the session's rows, in one transaction. `out_dir` is outputs/<id>/ (links use its name)."""
    conn = open_index(path)
    try:
        _write(Path(path), conn, [(result, Path(out_dir).name)])
    finally:
        conn.close()


def result_from_session_json(data: dict[str, Any], source: str | Path = "session.json") -> SessionResult:
    """A SessionResult from a parsed `restitution/session@1` file."""
    try:
        s = data["session"]
        session = Session(
            id=s["id"], recording=Path(s.get("recording") or ""), title=s.get("title"), date=s.get("date")
        )
        audio = AudioInfo(Path(s.get("recording") or ""), float(s["duration"]), s.get("sha256") or "", 0, 0, "")
        offset = Offset.from_dict(data.get("offset") or {"seconds": 0.0, "method": "none"})
        return SessionResult(
            session=session,
            audio=audio,
            language=s.get("language") or "",
            offset=offset,
            speakers=tuple(Speaker.from_dict(sp) for sp in data.get("speakers", [])),
            chapters=tuple(Chapter.from_dict(ch) for ch in data.get("chapters", [])),
            segments=tuple(
                Segment(
                    float(g["start"]),
                    float(g["end"]),
                    g["text"],
                    tuple(Word.from_dict(w) for w in g.get("words") or ()),
                    g.get("speaker"),
                )
                for g in data.get("segments", [])
            ),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise SearchIndexError(f"session.json lacks or mistypes a field ({e})", source) from None


def rebuild(index_path: Path, outputs_dir: Path) -> int:
    """Recreate the index from outputs/*/session.json alone; return the number of sessions.

    The new database is built beside the old one and swapped in, so searches keep working
    (on the old data) until the new index is complete, and a damaged index can be replaced.
    """
    index_path = Path(index_path)
    files = sorted(Path(outputs_dir).glob("*/session.json"))
    results = [(result_from_session_json(read_session_json(f), f), f.parent.name) for f in files]
    # Oldest first: rowids then grow with the date, and "newest matches" means newest sessions.
    results.sort(key=lambda r: (r[0].session.date or "", r[0].session.id))
    tmp = index_path.with_name(index_path.name + ".rebuild")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    conn = open_index(tmp)
    try:
        _write(tmp, conn, results)
        with translate(tmp):
            conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file to move into place
    finally:
        conn.close()
    for stale in (Path(f"{index_path}-wal"), Path(f"{index_path}-shm")):
        stale.unlink(missing_ok=True)
    tmp.replace(index_path)
    return len(results)


def optimize(index_path: Path) -> None:
    """Merge the FTS5 b-trees after a large batch: smaller file, faster queries."""
    conn = open_index(index_path)
    try:
        with translate(Path(index_path)):
            conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
    finally:
        conn.close()
