"""Seeded fuzzing of the two parsers of user text that are not the agenda: the config loader
(config.toml / session.toml / flags) and the search query language. Each input must give a
result or a RestitutionError, never another exception; results must hold their invariants
(options in range; queries FTS5 accepts)."""

from __future__ import annotations

import dataclasses
import datetime
import math
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from restitution.errors import ConfigError, SearchIndexError
from restitution.language import LANGUAGES
from restitution.options import RANGES, PipelineOptions, get, load_options
from restitution.search_query import column_words, fts_query, highlight, normalize, scoring_units

ROOT = Path(__file__).resolve().parents[1]
CONFIG_TEXT = (ROOT / "config.toml").read_text(encoding="utf-8")


def leaf_keys(obj: Any = None, prefix: str = "") -> list[str]:
    obj = obj if obj is not None else PipelineOptions()
    keys = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            keys += leaf_keys(value, f"{f.name}.")
        else:
            keys.append(f"{prefix}{f.name}")
    return keys


KEYS = leaf_keys()
TOML_VALUES = [
    "nan", "+nan", "-nan", "inf", "-inf", "+inf", "1e400", "-1e400", "0", "-1", "1", "2", "7.0", "0.5", "1.5",
    "100000", "9223372036854775807", "-9223372036854775808", "0x1F", "1_000", "-0.0", "1e-320", "true", "false",
    '"x"', '""', '"fr"', '"french"', '"xx"', '"FR"', '"auto"', '"none"', '"nan"', '"12.5"', '"128k"', '"0k"', '"999k"',
    '"\\u0000"', '"\\u001b[31m"', '"[/x]"', "[1, 2]", "[]", "{a = 1}", "{}", "1979-05-27", "07:32:00",
    "1979-05-27T07:32:00Z", "'''multi\nline'''", '"outputs/../../etc"', '" "',
]  # fmt: skip
PY_VALUES: list[Any] = [
    None, math.nan, math.inf, -math.inf, 10**400, -(10**400), 2**63, 0, -1, 1, 3, 0.0, -0.0, 0.5, 1.0, 1e308, 5e-324,
    True, False, "", " ", "x", "fr", "en", "français", "fr-FR", "auto", "none", "nan", "inf", "-12.5", "128k", "64",
    "\x00", "\udcff", "\ud800", "[/x]", "\x1b]0;t\x07", [], [1], {}, {"a": 1}, datetime.date(2024, 1, 1),
    datetime.time(7, 32), b"bytes", object(),
]  # fmt: skip


def check_invariants(options: PipelineOptions) -> None:
    assert isinstance(options, PipelineOptions)
    for key, (lo, hi) in RANGES.items():
        value = get(options, key)
        if isinstance(value, (int, float)):
            assert math.isfinite(value) and lo <= value <= hi, (key, value)
    assert options.language == "" or options.language in LANGUAGES
    assert isinstance(options.offset, float) or options.offset in ("auto", "none")
    assert options.asr.threads >= 1 and options.diarization.threads >= 1  # 0 became the core count


def mutate(r: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(r.randrange(1, 5)):
        what = r.random()
        i = r.randrange(len(lines) + 1)
        if what < 0.5:  # a real key (in its section or not) with a random value
            key = r.choice(KEYS)
            leaf = key.rpartition(".")[2] if r.random() < 0.7 else key
            lines.insert(i, f"{leaf} = {r.choice(TOML_VALUES)}")
        elif what < 0.6:
            lines.insert(
                i, f"[{r.choice(['asr', 'diarization', 'voices', 'export', 'chapters', 'offset_search', 'x'])}]"
            )
        elif what < 0.8 and lines:
            del lines[min(i, len(lines) - 1)]
        else:  # a few random characters somewhere
            if not lines:
                lines.append("")
            k = min(i, len(lines) - 1)
            j = r.randrange(len(lines[k]) + 1)
            junk = "".join(r.choice("=[]{}\"'#.,\\ \t\n0123456789aéz\x00\x7f\ufeff") for _ in range(r.randrange(1, 4)))
            lines[k] = lines[k][:j] + junk + lines[k][j:]
    return "\n".join(lines) + "\n"


def test_config_files_give_options_or_a_config_error(tmp_path):
    r = random.Random(20240618)
    path = tmp_path / "config.toml"
    outcomes = {"options": 0, "error": 0}
    for n in range(1500):
        if n % 10 == 0:  # raw bytes, valid UTF-8 or not
            path.write_bytes(bytes(r.randrange(256) for _ in range(r.randrange(0, 200))))
        elif n % 10 == 1:  # deep nesting, which tomllib meets with recursion
            path.write_text("x = " + r.choice("[{") * r.randrange(10, 5000), encoding="utf-8")
        else:
            path.write_text(mutate(r, CONFIG_TEXT), encoding="utf-8")
        try:
            options = load_options(path)
        except ConfigError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path)), str(e)
            outcomes["error"] += 1
            continue
        check_invariants(options)
        outcomes["options"] += 1
    assert outcomes["options"] > 100 and outcomes["error"] > 100, outcomes  # both paths were exercised


def test_values_for_real_keys_from_session_toml_and_flags():
    r = random.Random(17)
    outcomes = {"options": 0, "error": 0}
    for _ in range(4000):
        table: dict[str, Any] = {}
        for key in r.sample(KEYS, r.randrange(1, 4)):
            section, _, leaf = key.rpartition(".")
            node = table.setdefault(section, {}) if section else table
            if isinstance(node, dict):
                node[leaf] = r.choice(PY_VALUES)
        if r.random() < 0.05:
            table[r.choice(["asr", "export"])] = r.choice(PY_VALUES)  # a section that is not a table
        where = r.random()
        try:
            if where < 0.5:
                options = load_options(None, table, "recordings/x/session.toml")
            else:
                options = load_options(None, None, overrides=table)
        except ConfigError as e:
            assert "\n" not in str(e), str(e)
            outcomes["error"] += 1
            continue
        check_invariants(options)
        outcomes["options"] += 1
    assert outcomes["options"] > 200 and outcomes["error"] > 200, outcomes


QUERY_PIECES = [
    '"', "(", ")", "*", "AND", "OR", "NOT", "NEAR", "NEAR(", ":", "^", "+", "-", "'", "and", "économie", "l'atelier",
    "Yves-Armel", "a", "z9", "\udcff", "\ud800", "\x00", "\x1b", "\t", "\n", "\ufffd", "e\u0301", "{", "}", ",", ".",
    '""', '"a b"', '"a b"*', "[/x]", "🙂", "_", "\u00a0", "text:", "speaker : x", "\\", "\x1a", "ß", "ﬁ", "١٢", "中文",
    " ", " ", " ",
]  # fmt: skip


@pytest.fixture(scope="module")
def fts() -> sqlite3.Connection:
    """An FTS5 table like the index's (same columns and tokenizer), with a few rows."""
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE VIRTUAL TABLE f USING fts5(text, speaker, chapter, tokenize="unicode61 remove_diacritics 2")')
    rows = [
        ("L'économie circulaire et le réemploi.", "Léa Kerbrat", "Atelier « Données »"),
        ("Yves-Armel parle de l'atelier, en 中文 aussi.", "Yves-Armel Martin", "Présentation"),
    ]
    conn.executemany("INSERT INTO f VALUES (?, ?, ?)", rows)
    return conn


def random_query(r: random.Random) -> str:
    if r.random() < 0.2:
        return "".join(chr(r.randrange(0, 0x3000)) for _ in range(r.randrange(0, 12)))
    return "".join(r.choice(QUERY_PIECES) + (" " if r.random() < 0.5 else "") for _ in range(r.randrange(0, 8)))


def test_search_queries_give_valid_fts5_or_a_search_error(fts):
    r = random.Random(2024)
    outcomes = {"query": 0, "error": 0}
    for _ in range(6000):
        query = random_query(r)
        try:
            match = fts_query(query)
        except SearchIndexError as e:
            assert "\n" not in str(e) and "query" in str(e), str(e)
            outcomes["error"] += 1
        else:
            fts.execute("SELECT rowid FROM f WHERE f MATCH ?", (match,)).fetchall()  # FTS5 accepts it
            outcomes["query"] += 1
        # The tolerant helpers never fail, whatever the text; filters become valid FTS5 too.
        highlight("L'économie circulaire, Yves-Armel.", query)
        scoring_units(query)
        normalize(query)
        words = column_words("speaker", query, prefix=r.random() < 0.5)
        if words is not None:
            fts.execute("SELECT rowid FROM f WHERE f MATCH ?", (words,)).fetchall()
    assert outcomes["query"] > 1000 and outcomes["error"] > 1000, outcomes


@pytest.mark.parametrize(
    "query, hits",
    [
        ("(économie) circulaire", 1),  # FTS5 alone refuses an implied AND after a parenthesis
        ("réemploi AND NOT plastique", 1),
        ("atelier NOT 中文", 0),
        ("atelier OR circulaire", 2),
        ('"yves armel"* parle', 1),
        ("NEAR", 0),  # a word here, not FTS5's NEAR() group
        ("l'atelier", 1),
    ],
)
def test_queries_fts5_alone_would_refuse_or_misread(fts, query, hits):
    found = fts.execute("SELECT rowid FROM f WHERE f MATCH ?", (fts_query(query),)).fetchall()
    assert len(found) == hits


@pytest.mark.parametrize(
    "query, why",
    [
        ("NOT plastique", "NOT needs a word before it: write 'reemploi NOT plastique'"),
        ("réemploi AND", "'AND' at the end needs a word after it"),
        ("OR réemploi", "'OR' needs a word before it"),
        ("(réemploi", "a '(' is never closed"),
        ("réemploi)", "a ')' closes nothing"),
        ("()", "'( )' holds no word"),
        ('"économie', "a '\"' is never closed"),
    ],
)
def test_malformed_queries_say_why(query, why):
    with pytest.raises(SearchIndexError) as e:
        fts_query(query)
    assert str(e.value) == f"malformed search query {query!r}: {why}"


def test_bytes_that_were_not_utf8_are_searched_as_replacement_characters(fts):
    query = b"r\xe9emploi".decode("utf-8", "surrogateescape")  # a Latin-1 terminal's "réemploi"
    match = fts_query(query)
    assert "\udce9" not in match and "\ufffd" in match
    fts.execute("SELECT rowid FROM f WHERE f MATCH ?", (match,)).fetchall()
