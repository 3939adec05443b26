"""Searching the index: FTS5 finds the matches, Python ranks them.

Ranking is Okapi BM25, computed in Python (`search_query.bm25`) over the newest `RANK_WINDOW`
matches (after filters), from each segment's folded words (stored beside its text) and document
frequencies from the `terms` table: exact for any specific query, newest-first for the most
common words, and never the full-doclist walk FTS5's own bm25() does to count documents.
"""

from __future__ import annotations

import heapq
import re
import sqlite3
from pathlib import Path

from ..clock import hms
from ..errors import SearchIndexError
from ..search_query import Hit, Unit, bm25, column_words, fts_query, highlight, idf, patterns, scoring_units, spaced
from .schema import open_index, translate

# Beyond this many matches only the newest ones are ranked by bm25 (see the module docstring).
RANK_WINDOW = 1_000


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


def _check_date(value: str | None, flag: str) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
        raise SearchIndexError(f"{flag} {value!r} is not a date like 2024-05-14")
    return value


def _scope(
    conn: sqlite3.Connection, index_path: Path, session: str | None, since: str | None, until: str | None
) -> tuple[int, int, list[int] | None] | None:
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
            "SELECT sid, seg_lo, seg_hi FROM sessions"
            " WHERE seg_lo BETWEEN ? AND ? AND date >= ? AND substr(date, 1, ?) <= ?",
            (lo, hi, since or "", len(until or ""), until or "9999"),
        ).fetchall()
        if not found:
            return None
        lo, hi = min(r[1] for r in found), max(r[2] for r in found)
        # Sessions are usually indexed in date order, so the range is often exact already.
        if (
            len(found)
            < conn.execute("SELECT count(*) FROM sessions WHERE seg_lo BETWEEN ? AND ?", (lo, hi)).fetchone()[0]
        ):
            keep = [r[0] for r in found]
    return lo, hi, keep


def _docs(conn: sqlite3.Connection, unit: Unit) -> int:
    """Segments holding a word or phrase; for a phrase, those holding its rarest word (a bound)."""
    words, prefix = unit
    counts = []
    args: tuple[str, ...]
    for i, word in enumerate(words):
        if prefix and i == len(words) - 1:
            sql, args = (
                "SELECT coalesce(sum(docs), 0) FROM terms WHERE term >= ? AND term < ?",
                (word, word + "\U0010ffff"),
            )
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
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise SearchIndexError(f"the number of hits must be a whole number, at least 1, not {limit!r}")
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
        with translate(index_path, query):
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
            best = heapq.nsmallest(limit, scored, key=lambda r: (r[0], -r[1]))
            if not best:
                return []
            rows = conn.execute(
                f"""SELECT g.id, s.id, s.folder, s.title, c.title, p.name, p.label,
                g.start, g.end, g.text, g.words, g.times
                FROM segments g
                JOIN sessions s ON s.sid = g.sid
                LEFT JOIN chapters c ON c.cid = g.cid
                LEFT JOIN speakers p ON p.pid = g.pid
                WHERE g.id IN ({",".join(str(int(r[1])) for r in best)})"""
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
                time=hms(start),
                snippet=highlight(text, query),
                audio_link=f"{base}{folder}/{sid}.mp3#t={t}",
                page_link=f"{base}{folder}/index.html#t={t}",
                rank=rank,
            )
        )
    return hits
