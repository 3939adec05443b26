"""The index's schema, and opening it: the one place that knows the database's layout.

Layout, chosen for search speed at archive scale (a thousand sessions, ten million words):
- `segments` holds one row per transcript segment; `segments_fts` is an external-content FTS5
  table over its `text`, `speaker` and `chapter` columns (the text is stored once), kept in
  step by triggers.
- The speaker's name and the chapter's title are FTS columns, so `--speaker` and `--chapter`
  are more terms that FTS5 intersects with the query's own doclists, instead of filters applied
  to every match afterwards.
- A session's segments get consecutive rowids (written in one transaction, in time order);
  `sessions` records that range, so session and date filters become a rowid range that FTS5
  applies inside its own scan.
- `terms` holds, per folded word, the number of segments it appears in: BM25's document
  frequencies, kept up to date by the writer.
- WAL journal: readers keep their snapshot while a batch writes; indexing a session is one
  transaction, so a reader sees a session's old rows or its new rows, never half of them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from ..errors import SearchIndexError

SCHEMA_VERSION = 2
BUSY_TIMEOUT = 10.0  # seconds a writer or reader waits for a lock before giving up
REBUILD_HINT = "run `restitution index rebuild` to recreate it from the session.json files"

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


@contextlib.contextmanager
def translate(path: Path, query: str | None = None) -> Iterator[None]:
    """sqlite3 errors become one-line SearchIndexErrors naming the database."""
    try:
        yield
    except sqlite3.OperationalError as e:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            raise SearchIndexError(
                f"the index is busy (another process holds it longer than {BUSY_TIMEOUT:.0f} s); try again", path
            ) from None
        if msg.startswith("fts5:") or "unterminated string" in msg:
            raise SearchIndexError(
                f"malformed search query {query!r} ({msg}); quote phrases, write AND, OR, NOT in capitals", path
            ) from None
        if "no such module: fts5" in msg:
            raise SearchIndexError("this Python's SQLite has no FTS5 support", path) from None
        if "malformed" in msg or "no such table" in msg or "no such column" in msg:
            raise SearchIndexError(f"the index is damaged ({msg}); {REBUILD_HINT}", path) from None
        raise SearchIndexError(f"index error: {msg}", path) from None
    except sqlite3.DatabaseError as e:
        raise SearchIndexError(f"not a usable search index ({e}); {REBUILD_HINT}", path) from None


def version_of(path: Path) -> int | None:
    """The schema version of the SQLite database at `path` (0: empty or not ours yet), or None when
    it is not a database. Read through SQLite, never with open(): closing a descriptor of the file
    would drop the POSIX locks this process's other connections to it hold."""
    uri = f"file:{quote(str(Path(path).absolute()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)
    except sqlite3.OperationalError as e:
        raise SearchIndexError(f"cannot open: {e}", path) from None
    try:
        with translate(path):
            try:
                return int(conn.execute("PRAGMA user_version").fetchone()[0])
            except sqlite3.OperationalError:  # busy, unreadable: not a verdict on its contents
                raise
            except sqlite3.DatabaseError:  # "file is not a database"
                return None
    finally:
        conn.close()


def check_database(path: Path, what: str = "search index", *, damaged_ok: bool = False) -> None:
    """Before any work: `path` is an SQLite database this process can write, or a place where one
    can be created; else one SearchIndexError naming it. Creates nothing. With `damaged_ok`
    (a rebuild, whose purpose it is), a file that is not a database may be replaced."""
    path = Path(path)
    try:
        if path.is_dir():
            raise SearchIndexError(f"is a folder, not a {what} file", path)
        if path.exists():
            if not path.is_file():
                raise SearchIndexError(f"is not a regular file: cannot be the {what}", path)
            if not os.access(path, os.R_OK | os.W_OK):
                raise SearchIndexError(f"cannot write the {what}: permission denied", path)
            if not damaged_ok and path.stat().st_size and version_of(path) is None:
                raise SearchIndexError(f"is not an SQLite database: cannot be the {what}", path)
            return
        parent = path.absolute().parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise SearchIndexError(f"cannot create the {what}: {parent} is not a folder", path)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise SearchIndexError(f"cannot create the {what}: {parent} is not writable", path)
    except OSError as e:
        raise SearchIndexError(f"cannot use the {what}: {e.strerror or e}", path) from None


def open_index(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and with `create`, set up) the index. Autocommit; writers use explicit transactions."""
    path = Path(path)
    if path.is_dir():
        raise SearchIndexError("is a folder, not a search index file", path)
    if not create and not path.exists():
        raise SearchIndexError("no search index here yet; run a session or `restitution index rebuild`", path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SearchIndexError(f"cannot create the index folder: {e.strerror}", path) from None
    with translate(path):
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise SearchIndexError(f"index format {version} is not {SCHEMA_VERSION}; {REBUILD_HINT}", path)
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
