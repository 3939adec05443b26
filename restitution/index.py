"""The archive's full-text index: one SQLite database for every session, searched with FTS5.

Layout, chosen for search speed at archive scale (a thousand sessions, ten million words):
- `segments` holds one row per transcript segment; `segments_fts` is an external-content FTS5
  table over its `text` and `speaker` columns (the text is stored once), kept in step by triggers.
- The speaker's name and the chapter's title are FTS columns, so `--speaker` and `--chapter`
  are more terms that FTS5 intersects with the query's own doclists, instead of filters applied
  to every match afterwards.
- A session's segments get consecutive rowids (written in one transaction, in time order);
  `sessions` records that range, so session and date filters become a rowid range that FTS5
  applies inside its own scan.
- Ranking is Okapi BM25, computed in Python (`search_query.bm25`) over the newest
  `RANK_WINDOW` matches (after filters), from each segment's folded words (stored beside its
  text) and document frequencies from the `terms` table that indexing keeps up to date: exact for any specific query, newest-first for the most common
  words, and never the full-doclist walk FTS5's own bm25() does to count documents.
- WAL journal: readers keep their snapshot while a batch writes; indexing a session is one
  transaction, so a reader sees a session's old rows or its new rows, never half of them.
"""

from __future__ import annotations

import contextlib
import heapq
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .display import decoded
from .errors import SearchIndexError
from .export.session_json import read_session_json
from .search_query import (
    Hit,
    bm25,
    column_words,
    format_hits,
    fts_query,
    highlight,
    hits_to_json,
    idf,
    normalize,
    patterns,
    scoring_units,
    spaced,
    tokens,
)
from .types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word

SCHEMA_VERSION = 2
BUSY_TIMEOUT = 10.0  # seconds a writer or reader waits for a lock before giving up
# Beyond this many matches only the newest ones are ranked by bm25 (see the module docstring).
RANK_WINDOW = 1_000
__all__ = ["Hit", "SearchIndexError", "format_hits", "hits_to_json", "index_session", "open_index", "optimize", "rebuild", "search"]
_REBUILD_HINT = "run `restitution index rebuild` to recreate it from the session.json files"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sessions (
    sid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT,
    duration REAL NOT NULL,
    language TEXT,
    recording TEXT,
    sha256 TEXT,
    seg_lo INTEGER,
    seg_hi INTEGER,
    n_segments INTEGER NOT NULL DEFAULT 0,
    n_words INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_date ON sessions(date);
CREATE TABLE IF NOT EXISTS chapters (
    cid INTEGER PRIMARY KEY,
    sid INTEGER NOT NULL REFERENCES sessions(sid),
    idx INTEGER NOT NULL,
    title TEXT NOT NULL,
    title_norm TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chapters_sid ON chapters(sid);
CREATE TABLE IF NOT EXISTS speakers (
    pid INTEGER PRIMARY KEY,
    sid INTEGER NOT NULL REFERENCES sessions(sid),
    label TEXT NOT NULL,
    name TEXT,
    name_norm TEXT,
    role TEXT,
    seconds REAL
);
CREATE INDEX IF NOT EXISTS speakers_sid ON speakers(sid);
CREATE INDEX IF NOT EXISTS speakers_name ON speakers(name_norm);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    sid INTEGER NOT NULL REFERENCES sessions(sid),
    cid INTEGER,
    pid INTEGER,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL,
    words TEXT NOT NULL DEFAULT '',  -- the text's folded words, space-separated, for scoring
    times TEXT NOT NULL DEFAULT '',  -- each of those words' start, in 1/10 s after `start` ('' if unknown)
    speaker TEXT,  -- the speaker's name (or label), for the FTS speaker column
    chapter TEXT  -- the chapter's title, for the FTS chapter column
);
CREATE INDEX IF NOT EXISTS segments_sid ON segments(sid);
CREATE VIRTUAL TABLE IF NOT EXISTS segments_fts USING fts5(
    text, speaker, chapter, content='segments', content_rowid='id', tokenize="unicode61 remove_diacritics 2"
);
-- In how many segments each (folded) word of the text appears: BM25's document frequencies.
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS segments_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segments_fts(rowid, text, speaker, chapter) VALUES (new.id, new.text, new.speaker, new.chapter);
END;
CREATE TRIGGER IF NOT EXISTS segments_ad AFTER DELETE ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text, speaker, chapter)
    VALUES ('delete', old.id, old.text, old.speaker, old.chapter);
END;
PRAGMA user_version = {SCHEMA_VERSION};
"""


def _hms(seconds: float) -> str:
    total = max(0, int(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


@contextlib.contextmanager
def _translate(path: Path, query: str | None = None) -> Iterator[None]:
    """sqlite3 errors become one-line SearchIndexErrors naming the database."""
    try:
        yield
    except sqlite3.OperationalError as e:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            raise SearchIndexError(f"the index is busy (another process holds it longer than {BUSY_TIMEOUT:.0f} s); try again", path) from None
        if msg.startswith("fts5:") or "unterminated string" in msg:
            raise SearchIndexError(
                f"malformed search query {query!r} ({msg}); quote phrases, write AND, OR, NOT in capitals", path
            ) from None
        if "no such module: fts5" in msg:
            raise SearchIndexError("this Python's SQLite has no FTS5 support", path) from None
        if "malformed" in msg or "no such table" in msg or "no such column" in msg:
            raise SearchIndexError(f"the index is damaged ({msg}); {_REBUILD_HINT}", path) from None
        raise SearchIndexError(f"index error: {msg}", path) from None
    except sqlite3.DatabaseError as e:
        raise SearchIndexError(f"not a usable search index ({e}); {_REBUILD_HINT}", path) from None


def open_index(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and with `create`, set up) the index. Autocommit; writers use explicit transactions."""
    path = Path(path)
    if not create and not path.exists():
        raise SearchIndexError("no search index here yet; run a session or `restitution index rebuild`", path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SearchIndexError(f"cannot create the index folder: {e.strerror}", path) from None
    with _translate(path):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise SearchIndexError(f"index format {version} is not {SCHEMA_VERSION}; {_REBUILD_HINT}", path)
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses at most the last commit
            if version == 0:
                conn.executescript(_SCHEMA)
            elif create:
                conn.execute("SELECT 1 FROM segments_fts WHERE rowid = 0").fetchall()  # fails early if damaged
        except BaseException:
            conn.close()
            raise
    return conn


def _doc_counts(word_lists) -> Counter:
    counts: Counter = Counter()
    for words in word_lists:
        counts.update(set(words.split()))
    return counts


def _word_times(seg: Segment, n_tokens: int) -> str:
    """When each folded word of the segment starts, so a hit can point at the matched word."""
    times = [round((w.start - seg.start) * 10) for w in seg.words for _ in tokens(w.text)]
    return " ".join(map(str, times)) if times and len(times) == n_tokens else ""


def _moment(start: float, words: str, times: str, wanted: list[str]) -> float:
    """Media time of the first matched word (the segment's start when word times are unknown)."""
    if not times:
        return start
    text = spaced(words)
    found = [i for i in (text.find(p) for p in wanted) if i >= 0]
    if not found:
        return start
    position = text[: min(found) + 1].count("  ") - 1
    offsets = times.split()
    return start + int(offsets[position]) / 10 if 0 <= position < len(offsets) else start


def _insert_session(conn: sqlite3.Connection, result: SessionResult, folder: str) -> None:
    s = result.session
    old = _doc_counts(
        w for (w,) in conn.execute("SELECT words FROM segments WHERE sid IN (SELECT sid FROM sessions WHERE id = ?)", (s.id,))
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
        (s.id, folder, s.title or s.id, s.date, result.audio.duration, result.language, decoded(str(s.recording)), result.audio.sha256),
    ).lastrowid
    pids, names = {}, {}
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
    rows, k = [], 0
    for seg in sorted(result.segments, key=lambda g: (g.start, g.end)):
        text = " ".join(seg.text.split())
        if not text:
            continue
        while k + 1 < len(chapters) and chapters[k + 1].start <= seg.start + 1e-6:
            k += 1
        in_chapter = bool(chapters) and chapters[k].start <= seg.start + 1e-6
        if seg.speaker is not None and seg.speaker not in pids:
            pids[seg.speaker] = conn.execute("INSERT INTO speakers(sid, label) VALUES (?, ?)", (sid, seg.speaker)).lastrowid
        toks = tokens(text)
        rows.append((
            next_id + len(rows), sid, cids[k] if in_chapter else None, pids.get(seg.speaker), seg.start, seg.end, text,
            " ".join(toks), names.get(seg.speaker, seg.speaker), chapters[k].title if in_chapter else None,
            _word_times(seg, len(toks)),
        ))
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
    with _translate(path):
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
        session = Session(id=s["id"], recording=Path(s.get("recording") or ""), title=s.get("title"), date=s.get("date"))
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
        with _translate(tmp):
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
        with _translate(Path(index_path)):
            conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('optimize')")
    finally:
        conn.close()


def _check_date(value: str | None, flag: str) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise SearchIndexError(f"{flag} {value!r} is not a date like 2024-05-14")
    return value


def _scope(conn: sqlite3.Connection, index_path: Path, session: str | None, since: str | None, until: str | None):
    """The rowid range to scan and, when it is not exact, the session ids to keep; None: no match."""
    lo, hi, keep = 0, 2**62, None
    if session is not None:
        row = conn.execute("SELECT seg_lo, seg_hi FROM sessions WHERE id = ?", (session,)).fetchone()
        if row is None:
            raise SearchIndexError(f"no session {session!r} in the index", index_path)
        if row[0] is None:
            return None
        lo, hi = row
    if since is not None or until is not None:
        found = conn.execute(
            "SELECT sid, seg_lo, seg_hi FROM sessions WHERE seg_lo BETWEEN ? AND ? AND date >= ? AND substr(date, 1, ?) <= ?",
            (lo, hi, since or "", len(until or ""), until or "9999"),
        ).fetchall()
        if not found:
            return None
        lo, hi = min(r[1] for r in found), max(r[2] for r in found)
        # Sessions are usually indexed in date order, so the range is often exact already.
        if len(found) < conn.execute("SELECT count(*) FROM sessions WHERE seg_lo BETWEEN ? AND ?", (lo, hi)).fetchone()[0]:
            keep = [r[0] for r in found]
    return lo, hi, keep


def _docs(conn: sqlite3.Connection, unit) -> int:
    """Segments holding a word or phrase; for a phrase, those holding its rarest word (a bound)."""
    words, prefix = unit
    counts = []
    for i, word in enumerate(words):
        if prefix and i == len(words) - 1:
            sql, args = "SELECT coalesce(sum(docs), 0) FROM terms WHERE term >= ? AND term < ?", (word, word + "\U0010ffff")
        else:
            sql, args = "SELECT coalesce(max(docs), 0) FROM terms WHERE term = ?", (word,)
        counts.append(conn.execute(sql, args).fetchone()[0])
    return min(counts)


def search(
    index_path: Path,
    query: str,
    *,
    speaker: str | None = None,
    session: str | None = None,
    chapter: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    base_url: str = "",
) -> list[Hit]:
    """Ranked hits for `query`: words, "phrases", prefix*, AND / OR / NOT, parentheses.

    `speaker` and `chapter` match when every word given is in the name or title, in any order,
    ignoring case and accents ("mabileau", "economie circulaire"; end with * for a partial
    last word: "circul*");
    `since` / `until` are ISO dates, inclusive."""
    index_path = Path(index_path)
    match = fts_query(query)
    for column, value in (("speaker", speaker), ("chapter", chapter)):
        if value is not None:
            phrase = column_words(column, value, prefix=value.rstrip().endswith("*"))
            if phrase is None:
                raise SearchIndexError(f"--{column} {value!r} holds no word to match")
            match += f" AND {phrase}"
    since, until = _check_date(since, "--since"), _check_date(until, "--until")
    conn = open_index(index_path, create=False)
    try:
        with _translate(index_path, query):
            scope = _scope(conn, index_path, session, since, until)
            if scope is None:
                return []
            lo, hi, keep = scope
            cond = f" AND g.sid IN ({','.join(str(int(k)) for k in keep)})" if keep is not None else ""
            # Newest matches first; FTS5 stops after RANK_WINDOW of them.
            candidates = conn.execute(
                "SELECT f.rowid, g.words FROM segments_fts f JOIN segments g ON g.id = f.rowid"
                f" WHERE segments_fts MATCH ? AND f.rowid BETWEEN ? AND ?{cond} ORDER BY f.rowid DESC LIMIT ?",
                (match, lo, hi, RANK_WINDOW),
            ).fetchall()
            units = scoring_units(query)
            total, n_words = conn.execute("SELECT sum(n_segments), sum(n_words) FROM sessions").fetchone()
            weights = [idf(_docs(conn, unit), total or 1) for unit in units]
            avgdl = (n_words or 0) / (total or 1)
            wanted = patterns(units)
            scored = [(-bm25(words, wanted, weights, avgdl), rowid) for rowid, words in candidates]
            best = heapq.nsmallest(max(1, int(limit)), scored, key=lambda r: (r[0], -r[1]))
            if not best:
                return []
            rows = conn.execute(
                f"""SELECT g.id, s.id, s.folder, s.title, c.title, p.name, p.label, g.start, g.end, g.text, g.words, g.times
                FROM segments g
                JOIN sessions s ON s.sid = g.sid
                LEFT JOIN chapters c ON c.cid = g.cid
                LEFT JOIN speakers p ON p.pid = g.pid
                WHERE g.id IN ({','.join(str(int(r[1])) for r in best)})"""
            ).fetchall()
    finally:
        conn.close()
    details = {r[0]: r[1:] for r in rows}
    base = base_url.rstrip("/") + "/" if base_url else ""
    hits = []
    for rank, rowid in best:
        sid, folder, title, ch_title, sp_name, sp_label, seg_start, end, text, words, times = details[rowid]
        start = _moment(seg_start, words, times, wanted)
        t = int(start)
        hits.append(
            Hit(
                session_id=sid,
                session_title=title,
                chapter=ch_title,
                speaker=sp_name or sp_label,
                start=round(start, 3),
                end=round(end, 3),
                time=_hms(start),
                snippet=highlight(text, query),
                audio_link=f"{base}{folder}/{sid}.mp3#t={t}",
                page_link=f"{base}{folder}/index.html#t={t}",
                rank=rank,
            )
        )
    return hits
