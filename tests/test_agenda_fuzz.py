"""Fuzzing `agenda.parse`: thousands of text, TOML and JSON agendas built from realistic fragments,
random Unicode and random bytes. Each must give an Agenda that keeps the invariants, or a
RestitutionError of one line naming the file; never another exception."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from restitution import agenda
from restitution.agenda_text import MAX_TIME
from restitution.errors import RestitutionError
from restitution.types import Agenda

TIMES = [
    "00:00:00",
    "00:12:00",
    "0:05",
    "12:30",
    "1h22",
    "01h22m10s",
    "2h",
    "0:00:01.5",
    "99:99",
    "1000:00:00",
    "12:5",
    "00:61:00",
    "1.22",
    "Infinity",
    "1e400",
    "-5",
    "nan",
    "9" * 30,
    "00:12:00 - 00:19:37",
    "[00:10:00]",
]
SEPARATORS = [" : ", " - ", " – ", " — ", " | ", " ", ": ", "\u202f: ", ""]
BULLETS = ["- ", "* ", "• ", "1. ", "2) ", "", "\t- ", "    ", "# "]
TITLES = [
    "Accueil",
    "Table ronde « Culture et numérique »",
    "Keynote",
    "Restitution de l'atelier « Données »",
    "Mot d'accueil",
    "Intervention de",
    "Panel:",
    "Q&A",
    "Pause",
    "[Replay] bonus",
    "Échanges avec la salle",
    "Présentation de la méthode des ateliers",
    "Closing remarks from",
    "Conclusions et perspectives",
]
MARKERS = [" par ", " avec ", " by ", " with ", " de ", " – ", ": ", " entre ", " featuring ", " du "]
GIVEN = [
    "Anne",
    "Jean-Marc",
    "Éloïse",
    "Xochitl",
    "J.",
    "DUPONT",
    "Mme",
    "M.",
    "Dr",
    "Prof.",
    "Le",
    "de",
    "d'Arc",
    "Alice",
    "Brenda",
    "Mayor",
    "la directrice",
    "the Minister for Culture,",
    "O'Neil",
    "Nour El",
]
FAMILY = ["Le Gall", "Martin", "Stone", "de La Fontaine", "DUPONT", "van der Berg", "Smith", "Houda", "Jr.", ""]
ROLES = [
    "Marketing Expert",
    "Industrial Designer",
    "présidente du TMNlab",
    "(CNRS)",
    "– chargée de mission",
    "Head of Digital, BBC",
    "chercheurs au CNRS",
    "Ville de Lyon",
    "",
    "(Université, Lyon",
    "Scène & Public",
]
JOINERS = [
    " et ",
    " and ",
    " & ",
    ", ",
    " ; ",
    ", et ",
    " / ",
    " ainsi que ",
    ". Speakers: ",
    " avec la participation de ",
]
NOISE = [
    "\x00",
    "\x1b[31m",
    "\x1b]0;x\x07",
    "\x9b2J",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\r",
    "\r\n",
    "\u2028",
    "«",
    "»",
    "(",
    ")",
    '"',
    "“",
    "\\",
    "{",
    "}",
    "[",
    "]",
    "=",
    "'''",
    "\U0001f600",
    "\u0301",
    "ﬁ",
    "İ",
    "ß",
    "\t",
]


def _unicode(rng: random.Random, n: int) -> str:
    ranges = [
        (0x20, 0x7E),
        (0x00, 0x1F),
        (0x80, 0x24F),
        (0x2000, 0x206F),
        (0x4E00, 0x4E80),
        (0x1F300, 0x1F3FF),
        (0xFE00, 0xFFFD),
    ]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def _person(rng: random.Random) -> str:
    return (
        f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}".strip() + (", " if rng.random() < 0.5 else " ") + rng.choice(ROLES)
    )


def _clock(rng: random.Random, seconds: int) -> str:
    h, m, s = seconds // 3600, seconds % 3600 // 60, seconds % 60
    return rng.choice([f"{h:02d}:{m:02d}:{s:02d}", f"{h * 60 + m:02d}:{s:02d}", f"{h}h{m:02d}m{s:02d}"])


def _line(rng: random.Random, time: str | None = None, noise: float = 0.3) -> str:
    if time is None and rng.random() < 0.85:
        time = rng.choice(TIMES)
    text = rng.choice(BULLETS) + (time + rng.choice(SEPARATORS) if time else "")
    text += rng.choice(TITLES)
    if rng.random() < 0.7:
        text += rng.choice(MARKERS) + rng.choice(JOINERS).join(_person(rng) for _ in range(rng.randint(1, 4)))
    while rng.random() < noise:
        k = rng.randint(0, len(text))
        text = text[:k] + (rng.choice(NOISE) if rng.random() < 0.7 else _unicode(rng, rng.randint(1, 6))) + text[k:]
    return text


def _encode(rng: random.Random, text: str, corrupt: float = 0.2) -> bytes:
    codec = rng.choice(["utf-8", "utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-32", "latin-1"])
    data = text.encode(codec, errors="replace" if codec in ("cp1252", "latin-1") else "surrogatepass")
    if rng.random() < corrupt:  # flip, cut or insert bytes
        data = bytearray(data)
        for _ in range(rng.randint(1, 5)):
            op, k = rng.random(), rng.randrange(len(data) + 1)
            if op < 0.4 and data:
                data[min(k, len(data) - 1)] = rng.randrange(256)
            elif op < 0.7:
                del data[k : k + rng.randint(1, 4)]
            else:
                data[k:k] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        data = bytes(data)
    if rng.random() < 0.05:
        data = rng.choice([b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xff\xfe\x00\x00"]) + data
    return data


def _times(rng: random.Random) -> list[int]:
    """Increasing session times, as a well-formed agenda has them."""
    return sorted(rng.sample(range(6 * 3600), rng.randint(1, 30)))


def _text_agenda(rng: random.Random) -> bytes:
    if rng.random() < 0.5:  # well formed but for a little noise: reaches the names and roles
        return _encode(rng, "\n".join(_line(rng, _clock(rng, t), noise=0.05) for t in _times(rng)), corrupt=0.0)
    return _encode(rng, "\n".join(_line(rng) for _ in range(rng.randint(0, 25))))


def _value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.random()
    if kind < 0.25:
        return rng.choice(TIMES + TITLES + [_person(rng), _unicode(rng, 8), ""])
    if kind < 0.45:
        return rng.choice([0, 1, -1, 720, 4930.5, 1e400, -1e400, float("nan"), 10**30, 10**400, 3.6e6, True, None])
    if kind < 0.6 and depth < 3:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind < 0.75 and depth < 3:
        keys = ["time", "title", "speakers", "name", "role", "items", "item", _unicode(rng, 3)]
        return {rng.choice(keys): _value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return rng.choice(
        [{"name": _person(rng), "role": rng.choice(ROLES)}, {"role": "x"}, {"name": 3}, "Anne Le Gall, maire"]
    )


def _item(rng: random.Random, time: int | None = None) -> dict:
    if time is not None:
        return {
            "time": rng.choice([time, _clock(rng, time)]),
            "title": _line(rng, noise=0.05),
            "speakers": [_person(rng)] if rng.random() < 0.3 else [],
        }
    item: dict = {}
    if rng.random() < 0.9:
        item["time"] = rng.choice([_value(rng), rng.choice(TIMES), rng.uniform(0, 8000), rng.randint(0, 8000)])
    if rng.random() < 0.95:
        item["title"] = rng.choice([_line(rng), rng.choice(TITLES), _value(rng)])
    if rng.random() < 0.5:
        item["speakers"] = rng.choice([[_person(rng) for _ in range(rng.randint(0, 3))], _value(rng)])
    if rng.random() < 0.05:
        item[_unicode(rng, 4)] = 1
    return item


def _json_agenda(rng: random.Random) -> bytes:
    data: object = {rng.choice(["items", "item", "items", "Items"]): [_item(rng) for _ in range(rng.randint(0, 12))]}
    if rng.random() < 0.5:
        data = {"items": [_item(rng, t) for t in _times(rng)]}
    elif rng.random() < 0.1:
        data = _value(rng)
    text = json.dumps(data, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.05:
        text = "[" * rng.randint(100, 5000) + text  # nested too deeply
    return _encode(rng, text)


def _toml_value(rng: random.Random, value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is close enough; a bad escape must fail cleanly
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return rng.choice(["inf", "-inf", "nan", "1e400"]) if not math.isfinite(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(rng, v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(rng, v)}" for k, v in value.items()) + "}"
    return rng.choice(["00:12:00", "1979-05-27T07:32:00", "1979-05-27", "07:32:00.999", "nan", "''"])


def _toml_agenda(rng: random.Random) -> bytes:
    blocks = []
    gentle = rng.random() < 0.5  # well formed TOML: reaches the checks of values
    times: list[int | None] = list(_times(rng)) if gentle else [None] * rng.randint(0, 10)
    for time in times:
        lines = ["[[item]]" if gentle else rng.choice(["[[item]]", "[[items]]", "[item]", "[[ item ]]"])]
        for key, value in _item(rng, time).items():
            lines.append(f"{json.dumps(key) if rng.random() < 0.1 else key} = {_toml_value(rng, value)}")
        if not gentle and rng.random() < 0.1:
            lines.append(_line(rng))
        blocks.append("\n".join(lines))
    return _encode(rng, "\n\n".join(blocks), corrupt=0.0 if gentle else 0.2)


def _check(path: Path) -> str:
    try:
        result = agenda.parse(path)
    except RestitutionError as e:
        message = str(e)
        assert "\n" not in message and message.startswith(str(path)), message
        return "error"
    assert isinstance(result, Agenda) and result.items
    times = [item.time for item in result.items]
    assert all(math.isfinite(t) and 0 <= t <= MAX_TIME for t in times), times
    assert times == sorted(times) and len(set(times)) == len(times), times
    for item in result.items:
        texts = [item.title] + [p.name for p in item.speakers] + [p.role or "" for p in item.speakers]
        assert item.title and all(p.name for p in item.speakers), item
        assert not any(ord(c) < 32 and c != "\t" or 0x7F <= ord(c) <= 0x9F for t in texts for c in t), item
    return "agenda"


MAKERS = {".txt": _text_agenda, ".toml": _toml_agenda, ".json": _json_agenda}


@pytest.mark.parametrize("suffix", [".txt", ".toml", ".json", ".md", ""])
def test_parse_gives_an_agenda_or_a_one_line_error(tmp_path: Path, suffix: str) -> None:
    rng = random.Random(f"agenda-fuzz{suffix}")
    outcomes = {"agenda": 0, "error": 0}
    for k in range(700):
        if rng.random() < 0.1:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))  # bytes, nothing else
        else:
            data = MAKERS.get(suffix, _text_agenda)(rng)
        path = tmp_path / f"{k}{suffix}"
        path.write_bytes(data)
        try:
            outcomes[_check(path)] += 1
        except Exception as e:  # report the input that broke it, not just the exception
            raise AssertionError(f"{type(e).__name__}: {e} on {data[:300]!r}") from e
    # Both outcomes are reached, so the fuzzing exercises the parser rather than only its first check.
    assert outcomes["agenda"] >= 50 and outcomes["error"] >= 50, outcomes
