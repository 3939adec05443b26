"""Writing sessions into the index: one transaction per session (or per rebuild)."""

from __future__ import annotations

import logging
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..display import decoded
from ..errors import RestitutionError, SearchIndexError
from ..export.session_json import read_session_json
from ..lock import index_lock
from ..search_query import normalize, tokens
from ..types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word
from .schema import BUSY_TIMEOUT, SCHEMA_VERSION, check_database, open_index, translate, version_of

log = logging.getLogger("restitution")

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


def _other_recording(conn: sqlite3.Connection, session: Session, sha256: str) -> str | None:
    """The recording already indexed under this session's id, when it is another one: another
    file and other contents (the same file re-encoded, or the archive moved, is the same session)."""
    row = conn.execute("SELECT recording, sha256 FROM sessions WHERE id = ?", (session.id,)).fetchone()
    if row is None or row[1] == sha256 or row[0] == decoded(str(session.recording)):
        return None
    return str(row[0])


def _refusal(path: Path, session: Session, other: str) -> SearchIndexError:
    return SearchIndexError(
        f"session {session.id!r} is already indexed from another recording ({other}); "
        f"not replacing it with {decoded(str(session.recording))} (--force replaces it)",
        path,
    )


def check_free(path: Path, session: Session, sha256: str) -> None:
    """Raise before any work if `index_session` would refuse this recording under `session.id`."""
    path = Path(path)
    if not path.is_file():
        return
    conn = open_index(path, create=False)
    try:
        with translate(path):
            other = _other_recording(conn, session, sha256)
    finally:
        conn.close()
    if other is not None:
        raise _refusal(path, session, other)


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


def index_session(path: Path, result: SessionResult, out_dir: Path, *, replace: bool = False) -> None:
    """Replace the session's rows, in one transaction. `out_dir` is outputs/<id>/ (links use its name).

    Rows of another recording under the same id are replaced only with `replace` (`--force`): a
    session never silently takes another's place in the archive's search."""
    path = Path(path)
    conn = open_index(path)
    try:
        with translate(path):
            # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
            conn.execute("BEGIN IMMEDIATE")
            try:
                other = None if replace else _other_recording(conn, result.session, result.audio.sha256)
                if other is not None:
                    raise _refusal(path, result.session, other)
                _insert_session(conn, result, Path(out_dir).name)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.close()


def _text(value: Any, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{field} is {type(value).__name__}, not text")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TypeError(f"{field} is not a list of objects")
    return value


def result_from_session_json(data: dict[str, Any], source: str | Path = "session.json") -> SessionResult:
    """A SessionResult from a parsed `restitution/session@1` file."""
    try:
        s = data["session"]
        if not isinstance(s, dict):
            raise TypeError("session is not an object")
        recording = Path(_text(s.get("recording"), "session.recording") or "")
        session = Session(
            id=str(_text(s["id"], "session.id")),
            recording=recording,
            title=_text(s.get("title"), "session.title"),
            date=_text(s.get("date"), "session.date"),
        )
        duration = float(s["duration"])
        if not math.isfinite(duration) or duration < 0:
            raise ValueError(f"session.duration is {duration}")
        audio = AudioInfo(recording, duration, _text(s.get("sha256"), "session.sha256") or "", 0, 0, "")
        offset = Offset.from_dict(data.get("offset") or {"seconds": 0.0, "method": "none"})
        segments = []
        for g in _list(data.get("segments"), "segments"):
            text = _text(g["text"], "segments[].text") or ""
            words = tuple(Word.from_dict(w) for w in _list(g.get("words"), "segments[].words"))
            speaker = _text(g.get("speaker"), "segments[].speaker")
            segments.append(Segment(float(g["start"]), float(g["end"]), text, words, speaker))
        return SessionResult(
            session=session,
            audio=audio,
            language=_text(s.get("language"), "session.language") or "",
            offset=offset,
            speakers=tuple(Speaker.from_dict(sp) for sp in _list(data.get("speakers"), "speakers")),
            chapters=tuple(Chapter.from_dict(ch) for ch in _list(data.get("chapters"), "chapters")),
            segments=tuple(segments),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise SearchIndexError(f"session.json lacks or mistypes a field ({e})", source) from None


def _readable(files: list[Path]) -> list[tuple[SessionResult, str, Path]]:
    found = []
    for f in files:
        try:
            found.append((result_from_session_json(read_session_json(f), f), f.parent.name, f))
        except RestitutionError as e:
            log.warning("leaving a session out of the index: %s", e)
    return found


def rebuild(index_path: Path, outputs_dir: Path) -> int:
    """Recreate the index from outputs/*/session.json alone; return the number of sessions.

    Under the index lock (so a run indexing meanwhile waits, and its session is in the files read
    or indexed after), the new database is built beside the live one, then copied into it with
    SQLite's backup, one transaction: searches keep their snapshot, and nobody's WAL is touched.
    Only a live file that is not a usable database is replaced instead. A session.json that
    cannot be read is left out with a warning; finding none refuses, rather than empty the index.
    """
    index_path, outputs_dir = Path(index_path), Path(outputs_dir)
    check_database(index_path, damaged_ok=True)
    if not outputs_dir.is_dir():
        raise SearchIndexError(f"no outputs folder {outputs_dir}; refusing to empty the index", index_path)
    tmp = index_path.with_name(index_path.name + ".rebuild")
    with index_lock(index_path):
        files = sorted(outputs_dir.glob("*/session.json"))
        found = _readable(files)
        if not found:
            what = f"none of the {len(files)} session.json files" if files else "no session.json"
            raise SearchIndexError(f"{what} under {outputs_dir} could be read; refusing to empty the index", index_path)
        # Oldest first: rowids then grow with the date, and "newest matches" means newest sessions.
        found.sort(key=lambda r: (r[0].session.date or "", r[0].session.id))
        try:
            count = _build(tmp, found)
            _swap(tmp, index_path)
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
                leftover.unlink(missing_ok=True)
    return count


def _build(tmp: Path, found: list[tuple[SessionResult, str, Path]]) -> int:
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    conn = open_index(tmp)
    count = 0
    try:
        with translate(tmp):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for result, folder, source in found:
                    # A savepoint each: a session whose fields SQLite refuses is left out alone.
                    conn.execute("SAVEPOINT one")
                    try:
                        _insert_session(conn, result, folder)
                    except (sqlite3.Error, TypeError, ValueError, AttributeError) as e:
                        conn.execute("ROLLBACK TO one")
                        log.warning("leaving a session out of the index: %s: %s", source, e)
                    else:
                        count += 1
                    conn.execute("RELEASE one")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
    finally:
        conn.close()
    if not count:
        raise SearchIndexError("no session could be indexed; refusing to empty the index", tmp)
    return count


def _live(index_path: Path) -> sqlite3.Connection | None:
    """The live index to copy the new one into; None when nothing there is worth a transaction
    (no file, not an SQLite file, another format): the new file then replaces it."""
    if not index_path.exists() or version_of(index_path) != SCHEMA_VERSION:
        return None
    with translate(index_path):
        return sqlite3.connect(index_path, timeout=BUSY_TIMEOUT, isolation_level=None)


def _swap(tmp: Path, index_path: Path) -> None:
    live = _live(index_path)
    if live is not None:
        source = sqlite3.connect(tmp)
        try:
            with translate(index_path):
                try:
                    source.backup(live)
                    return
                except sqlite3.OperationalError:
                    raise
                except sqlite3.DatabaseError:  # damaged pages: the file is replaced after all
                    pass
        finally:
            source.close()
            live.close()
    for stale in (Path(f"{index_path}-wal"), Path(f"{index_path}-shm")):
        stale.unlink(missing_ok=True)
    tmp.replace(index_path)


def optimize(index_path: Path) -> None:
    """Merge the FTS5 b-trees after a large batch: smaller file, faster queries."""
    conn = open_index(index_path)
    try:
        with translate(Path(index_path)):
            conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
    finally:
        conn.close()
