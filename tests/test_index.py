"""The archive index on real SQLite: replace-in-one-transaction, accent-blind search, filters,
links, WAL readers during a write, and one-line errors for bad queries and damaged files."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from builders import sample_result
from rich.console import Console

from restitution import index
from restitution.errors import SearchIndexError
from restitution.export.session_json import write_session_json
from restitution.index import schema
from restitution.index.writing import _insert_session
from restitution.types import SessionResult

TABLES = ("sessions", "chapters", "speakers", "segments", "segments_fts")


def counts(db) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES} | {
            "fts_docs": conn.execute(
                "SELECT count(*) FROM segments_fts WHERE segments_fts MATCH 'bonjour OR merci OR le'"
            ).fetchone()[0]
        }
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "outputs" / "index.sqlite"
    index.index_session(path, sample_result(), tmp_path / "outputs" / "atelier-2024")
    other = sample_result(
        session_id="seance-2023",
        title="Séance de 2023",
        date="2023-03-01",
        lines=[(2.0, "S2", "Les données ouvertes du spectacle vivant."), (50.0, "S1", "Merci pour le réemploi.")],
    )
    index.index_session(path, other, tmp_path / "outputs" / "seance-2023")
    return path


def test_reindexing_a_session_replaces_its_rows(db, tmp_path):
    before = counts(db)
    assert before["sessions"] == 2 and before["segments"] == 9
    for _ in range(2):
        index.index_session(db, sample_result(), tmp_path / "outputs" / "atelier-2024")
        assert counts(db) == before
    assert len(index.search(db, "bienvenue")) == 1


def test_changed_session_loses_its_old_words(db, tmp_path):
    index.index_session(
        db, sample_result(lines=[(1.0, "S1", "Tout autre chose.")]), tmp_path / "outputs" / "atelier-2024"
    )
    assert index.search(db, "bienvenue") == []
    assert [h.session_id for h in index.search(db, "chose")] == ["atelier-2024"]


def test_accents_and_case_do_not_matter(db):
    hits = index.search(db, "REEMPLOI")
    assert {h.session_id for h in hits} == {"atelier-2024", "seance-2023"}
    assert any("**réemploi**" in h.snippet for h in hits)
    assert index.search(db, "reemploi") == hits


def test_phrase_prefix_and_boolean_queries(db):
    assert [h.time for h in index.search(db, '"economie circulaire"')] == ["00:00:46"]
    assert index.search(db, '"circulaire économie"') == []
    assert [h.snippet for h in index.search(db, "ressource*")] == [
        "Le réemploi des décors passe par les **ressourceries**."
    ]
    assert len(index.search(db, "réemploi AND décors")) == 1
    assert len(index.search(db, "décors OR ouvertes")) == 3  # the second session has "ouvertes" once
    assert {h.session_id for h in index.search(db, "réemploi NOT décors")} == {"seance-2023"}
    assert [h.time for h in index.search(db, "l'économie")] == ["00:00:46"]  # apostrophes need no quoting
    assert len(index.search(db, "(données OR bienvenue) NOT ouvertes")) == 1


def test_speaker_filter_ignores_case_and_accents(db):
    for name in ("Stéphanie Mabileau", "stephanie MABILEAU", "mabileau", "Mabileau, Stéphanie"):
        hits = index.search(db, "réemploi", speaker=name)
        assert [(h.session_id, h.speaker) for h in hits] == [("atelier-2024", "Stéphanie Mabileau")]
    # The hit's time lies within that speaker's segment.
    seg = next(s for s in sample_result().segments if "réemploi" in s.text)
    assert seg.start <= hits[0].start < seg.end and hits[0].end == pytest.approx(seg.end)
    assert index.search(db, "réemploi", speaker="Yves-Armel") == []
    assert index.search(db, "données", speaker="yves armel")[0].speaker == "Yves-Armel Martin"
    # A speaker's name is not a word of the transcript.
    assert index.search(db, "mabileau") == []


def test_session_chapter_and_date_filters(db):
    assert {h.session_id for h in index.search(db, "réemploi", session="seance-2023")} == {"seance-2023"}
    assert [h.chapter for h in index.search(db, "réemploi", chapter="ECONOMIE circulaire")] == [
        "Restitution de l'atelier « économie circulaire »"
    ] * 2
    assert index.search(db, "bienvenue", chapter="circulaire") == []
    assert index.search(db, "réemploi", chapter="circul") == []
    assert len(index.search(db, "réemploi", chapter="circul*")) == 2
    assert [h.session_id for h in index.search(db, "réemploi", since="2024-01-01")] == ["atelier-2024"]
    assert [h.session_id for h in index.search(db, "réemploi", until="2023")] == ["seance-2023"]
    assert [h.session_id for h in index.search(db, "réemploi", since="2023-03-01", until="2023-03-01")] == [
        "seance-2023"
    ]
    with pytest.raises(SearchIndexError, match="no session 'nope'"):
        index.search(db, "réemploi", session="nope")
    with pytest.raises(SearchIndexError, match="not a date"):
        index.search(db, "réemploi", since="hier")


def test_hit_fields_and_links(db):
    (hit,) = index.search(db, "ressourceries", base_url="https://archive.example.org/")
    assert hit.session_title == "Restitution des ateliers"
    assert hit.chapter == "Restitution de l'atelier « économie circulaire »"
    # The segment starts at 40.0 s; "ressourceries" is its eighth word, said 0.4 s per word later.
    assert (hit.start, hit.time) == (42.8, "00:00:42")
    assert hit.audio_link == "https://archive.example.org/atelier-2024/atelier-2024.mp3#t=42"
    assert hit.page_link == "https://archive.example.org/atelier-2024/index.html#t=42"
    assert index.search(db, "ressourceries")[0].audio_link == "atelier-2024/atelier-2024.mp3#t=42"
    data = json.loads(index.hits_to_json([hit]))
    assert data[0]["snippet"] == "Le réemploi des décors passe par les **ressourceries**."
    console = Console(record=True, width=160)
    console.print(index.format_hits([hit]))
    shown = console.export_text()
    assert "ressourceries" in shown and "00:00:42" in shown and "Stéphanie Mabileau" in shown and "**" not in shown


def test_ranked_best_first_and_limited(db, tmp_path):
    lines = [(float(i * 10), "S1", "réemploi " + "mot " * i) for i in range(1, 12)]
    index.index_session(db, sample_result(session_id="long", lines=lines), tmp_path / "outputs" / "long")
    hits = index.search(db, "réemploi", session="long", limit=5)
    assert len(hits) == 5
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    assert hits[0].start == 10.0  # the shortest segment holding the word scores best (bm25)


def test_hit_points_at_the_matched_word_when_word_times_are_known(db, tmp_path):
    lines = [(100.0, "S3", "un deux trois quatre cinq six sept huit neuf dix onze douze treize ressourcerie")]
    index.index_session(db, sample_result(session_id="long-seg", lines=lines), tmp_path / "outputs" / "long-seg")
    (hit,) = index.search(db, '"douze treize ressourcerie"')
    assert hit.start == pytest.approx(100.0 + 11 * 0.4) and hit.page_link.endswith("#t=104")
    # Without word times (an engine that gave none), the segment's start it is.
    bare = sample_result(session_id="no-words", lines=lines)
    bare = SessionResult.from_dict(
        {**bare.to_dict(), "segments": [{**s.to_dict(), "words": []} for s in bare.segments]}
    )
    index.index_session(db, bare, tmp_path / "outputs" / "no-words")
    assert index.search(db, "ressourcerie", session="no-words")[0].start == 100.0


def test_document_frequencies_follow_reindexing(db, tmp_path):
    def docs(term):
        conn = sqlite3.connect(db)
        try:
            row = conn.execute("SELECT docs FROM terms WHERE term = ?", (term,)).fetchone()
            return row[0] if row else 0
        finally:
            conn.close()

    assert (docs("reemploi"), docs("bienvenue"), docs("les")) == (2, 1, 3)
    index.index_session(db, sample_result(), tmp_path / "outputs" / "atelier-2024")
    assert (docs("reemploi"), docs("bienvenue"), docs("les")) == (2, 1, 3)
    index.index_session(
        db, sample_result(lines=[(1.0, "S1", "Bienvenue, bienvenue !")]), tmp_path / "outputs" / "atelier-2024"
    )
    assert (docs("reemploi"), docs("bienvenue"), docs("les")) == (1, 1, 1)


def test_a_rare_word_outweighs_a_common_one(db, tmp_path):
    lines = [(float(i * 10), "S1", f"La culture numérique, épisode {i}.") for i in range(30)]
    lines.append((400.0, "S2", "Une ressourcerie et la culture."))
    lines.append((410.0, "S2", "La ressourcerie du quartier."))
    index.index_session(db, sample_result(session_id="rare", lines=lines), tmp_path / "outputs" / "rare")
    hits = index.search(db, "culture OR ressourcerie", session="rare", limit=3)
    # Both words beat one common word; the rare word alone beats the common word alone.
    assert [h.start for h in hits] == [400.4, 410.4, 290.4]  # equal scores: the latest segment first
    assert "**ressourcerie**" in hits[1].snippet and "**culture**" in hits[0].snippet


@pytest.mark.parametrize("query", ['"économie', "a AND", "(réemploi", "réemploi)", "NOT", "?!"])
def test_malformed_query_is_one_line_error(db, query):
    with pytest.raises(SearchIndexError) as err:
        index.search(db, query)
    assert "\n" not in str(err.value) and "query" in str(err.value)


def test_a_reader_sees_old_rows_while_a_writer_transaction_is_open(db, tmp_path):
    writer = index.open_index(db)
    try:
        writer.execute("BEGIN IMMEDIATE")
        _insert_session(writer, sample_result(lines=[(1.0, "S1", "Nouveau contenu.")]), "atelier-2024")
        # Another connection (WAL) reads the committed state: all the old rows, none of the new.
        assert len(index.search(db, "bienvenue")) == 1
        assert index.search(db, "nouveau") == []
        writer.execute("COMMIT")
    finally:
        writer.close()
    assert index.search(db, "bienvenue") == []
    assert len(index.search(db, "nouveau")) == 1


def test_writer_blocked_beyond_the_timeout_gets_a_clear_error(db, tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "BUSY_TIMEOUT", 0.2)
    holder = index.open_index(db)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(SearchIndexError, match="busy") as err:
            index.index_session(db, sample_result(), tmp_path / "outputs" / "atelier-2024")
        assert str(db) in str(err.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_two_writers_queue_instead_of_failing(db, tmp_path):
    errors = []

    def write(i):
        try:
            index.index_session(db, sample_result(session_id=f"par-{i}"), tmp_path / "outputs" / f"par-{i}")
        except Exception as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counts(db)["sessions"] == 6


def test_corrupted_index_names_the_file_and_the_fix(tmp_path):
    bad = tmp_path / "index.sqlite"
    bad.write_bytes(b"this is not a database at all" * 200)
    for call in (
        lambda: index.search(bad, "réemploi"),
        lambda: index.index_session(bad, sample_result(), tmp_path / "x"),
    ):
        with pytest.raises(SearchIndexError) as err:
            call()
        message = str(err.value)
        assert message.startswith(str(bad)) and "restitution index rebuild" in message and "\n" not in message


def test_damaged_pages_are_reported_too(db):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):
        data[offset : offset + 64] = b"\xff" * 64  # wreck every b-tree page header after the schema
    db.write_bytes(bytes(data))
    with pytest.raises(SearchIndexError, match="rebuild"):
        index.search(db, "réemploi")


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(SearchIndexError, match="no search index"):
        index.search(tmp_path / "none.sqlite", "réemploi")


def test_rebuild_from_session_json_files(tmp_path, db):
    outputs = tmp_path / "outputs"
    write_session_json(sample_result(), outputs / "atelier-2024" / "session.json")
    write_session_json(
        sample_result(session_id="seance-2023", date="2023-03-01"), outputs / "seance-2023" / "session.json"
    )
    before = counts(db)
    db.write_bytes(b"garbage" * 1000)  # a damaged index is what rebuild is for
    assert index.rebuild(db, outputs) == 2
    after = counts(db)
    assert after["sessions"] == 2 and after["segments"] == 14 and before["sessions"] == 2
    hits = index.search(db, "reemploi", speaker="stephanie mabileau")
    assert [h.session_id for h in hits] == ["atelier-2024", "seance-2023"]  # equal scores: newest first
    assert index.rebuild(db, outputs) == 2 and counts(db) == after
