"""agenda: the published déroulé, every time format and separator, TOML/JSON, encodings, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from restitution import agenda
from restitution.errors import AgendaError
from restitution.options import OffsetOptions
from restitution.types import Agenda, AgendaItem, AgendaSpeaker

REAL = """\
Déroulé (l'enregistrement a démarré avec quelques secondes de retard) :

- Introduction par Romain Delassus, Chef du service du numérique du Ministère de la Culture et Anne Le Gall, Présidente du TMNlab.
- 00:12:00 : Présentation de la méthode des ateliers par Yves-Armel Martin, Fondateur du Bureau des Possibles, expert en innovation collaborative.
- 00:19:37 : Restitution de l'atelier « économie circulaire » avec Quentin Rioual, metteur en scène et codirecteur de l'Augures Lab Scénogrrraphie et Stéphanie Mabileau, coordinatrice du Réseau des ressourceries artistiques et culturelles (RESSAC).
- 00:43:37 : Restitution de l'atelier « création en environnement numérique » avec Manon Picard, chargée d'étude et de développement des fictions interactives et immersives pour le Collectif Or Normes.
- 00:59:50 : Restitution de l'atelier « Données » avec Dorothée Burillon, responsable Ressources et savoirs Artcena et Pierre Beffeyte, producteur Scène & Public.
- 01:22:10 : Conclusions et perspectives
- 01:30:30 : Échanges avec les participants
"""  # noqa: E501

S = AgendaSpeaker
EXPECTED = (
    AgendaItem(
        0.0,
        "Introduction",
        (
            S("Romain Delassus", "Chef du service du numérique du Ministère de la Culture"),
            S("Anne Le Gall", "Présidente du TMNlab"),
        ),
        line=3,
    ),
    AgendaItem(
        720.0,
        "Présentation de la méthode des ateliers",
        (S("Yves-Armel Martin", "Fondateur du Bureau des Possibles, expert en innovation collaborative"),),
        line=4,
    ),
    AgendaItem(
        1177.0,
        "Restitution de l'atelier « économie circulaire »",
        (
            S("Quentin Rioual", "metteur en scène et codirecteur de l'Augures Lab Scénogrrraphie"),
            S("Stéphanie Mabileau", "coordinatrice du Réseau des ressourceries artistiques et culturelles (RESSAC)"),
        ),
        line=5,
    ),
    AgendaItem(
        2617.0,
        "Restitution de l'atelier « création en environnement numérique »",
        (
            S(
                "Manon Picard",
                "chargée d'étude et de développement des fictions interactives et immersives "
                "pour le Collectif Or Normes",
            ),
        ),
        line=6,
    ),
    AgendaItem(
        3590.0,
        "Restitution de l'atelier « Données »",
        (
            S("Dorothée Burillon", "responsable Ressources et savoirs Artcena"),
            S("Pierre Beffeyte", "producteur Scène & Public"),
        ),
        line=7,
    ),
    AgendaItem(4930.0, "Conclusions et perspectives", (), line=8),
    AgendaItem(5430.0, "Échanges avec les participants", (), line=9),
)


def test_the_published_example_parses_exactly() -> None:
    parsed = agenda.parse_text(REAL, "agenda.txt")
    assert parsed.source == "agenda.txt"
    for got, want in zip(parsed.items, EXPECTED, strict=True):
        assert got == want


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_file_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "agenda.txt"
    path.write_bytes(REAL.replace("\n", "\r\n").encode(encoding))
    parsed = agenda.parse(path)
    assert parsed.items == EXPECTED
    assert parsed.items[0].speakers[0].role.endswith("numérique du Ministère de la Culture")


def test_bom_before_a_time(tmp_path: Path) -> None:
    path = tmp_path / "agenda.txt"
    path.write_bytes(b"\xef\xbb\xbf00:05:00 : Accueil\r\n00:10:00 : \xc3\x89changes\r\n")
    assert [(i.time, i.title) for i in agenda.parse(path).items] == [(300.0, "Accueil"), (600.0, "Échanges")]
    path.write_bytes(b"00:05:00 : Accueil\r\n00:10:00 : \xc9changes \x96 d\xe9bat\r\n")  # Windows-1252
    assert agenda.parse(path).items[1].title == "Échanges – débat"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:22:10", 4930),
        ("01:22:10", 4930),
        ("82:10", 4930),
        ("00:30", 30),
        ("1h22", 4920),
        ("01h22m10", 4930),
        ("1h22m", 4920),
        ("1H22", 4920),
        ("2h", 7200),
        ("01h22m10s", 4930),
        ("0:00:01.5", 1.5),
    ],
)
def test_time_formats(text: str, seconds: float) -> None:
    assert agenda.parse_time(text) == seconds
    parsed = agenda.parse_text(f"- Accueil\n- {text} : Suite")
    assert parsed.items[1].time == seconds


@pytest.mark.parametrize("text", ["00:61:00", "1:2:3", "12:5", "1h75", "00:12:00:00", "1.22"])
def test_not_times(text: str) -> None:
    assert agenda.parse_time(text) is None


@pytest.mark.parametrize(
    "line",
    [
        "- 00:12:00 : Atelier",
        "- 00:12:00 - Atelier",
        "- 00:12:00 – Atelier",
        "- 00:12:00 — Atelier",
        "- 00:12:00 Atelier",
        "00:12:00 : Atelier",
        "* 00:12:00 : Atelier",
        "• 00:12:00 : Atelier",
        "1. 00:12:00 : Atelier",
        "2) 00:12:00 : Atelier",
        "-00:12:00: Atelier",
        "- [00:12:00] Atelier",
        "- 00:12:00 | Atelier",
        "- 00:12:00\u202f: Atelier",
        "\t- 00:12:00 :  Atelier  ",
        "- 00:12:00 - 00:19:37 : Atelier",
    ],
)
def test_separators_and_bullets(line: str) -> None:
    parsed = agenda.parse_text(f"- 00:00:00 : Accueil\n{line}\n")
    assert parsed.items[1] == AgendaItem(720.0, "Atelier", (), line=2)


def test_english_by_and_with() -> None:
    parsed = agenda.parse_text(
        "Programme:\n"
        "0:00 Opening by Jane Smith, CEO of Acme, and John Doe\n"
        "12:00 Panel with Mary O'Neil (BBC) and Ken Lee\n"
        "1h10 Q&A with the audience\n"
    )
    assert [(i.time, i.title) for i in parsed.items] == [
        (0, "Opening"),
        (720, "Panel"),
        (4200, "Q&A with the audience"),
    ]
    assert parsed.items[0].speakers == (S("Jane Smith", "CEO of Acme"), S("John Doe"))
    assert parsed.items[1].speakers == (S("Mary O'Neil", "BBC"), S("Ken Lee"))
    assert parsed.items[2].speakers == ()


def test_speaker_heuristics() -> None:
    title, people = agenda.split_title(
        "Table ronde « avec Jean Dupont » animée par Jean de La Fontaine, poète, et Marie Curie"
    )
    assert title == "Table ronde « avec Jean Dupont » animée"
    assert people == (S("Jean de La Fontaine", "poète"), S("Marie Curie"))
    assert agenda.split_title("Intro avec Jean Dupont, Marie Curie et Paul Martin")[1] == (
        S("Jean Dupont"),
        S("Marie Curie"),
        S("Paul Martin"),
    )
    # Capitalised role words after a comma are the role, not a second person.
    assert agenda.split_title("Mot d'accueil par Léa Roux, Directrice Générale, Ville de Lyon")[1] == (
        S("Léa Roux", "Directrice Générale, Ville de Lyon"),
    )
    assert agenda.split_title("Visite par petits groupes") == ("Visite par petits groupes", ())
    assert agenda.split_title("Débat avec Jean DUPONT, élu ; Marie-Ève d'Arc, autrice, poétesse")[1] == (
        S("Jean DUPONT", "élu"),
        S("Marie-Ève d'Arc", "autrice, poétesse"),
    )


def test_headings_blank_lines_and_continuations() -> None:
    parsed = agenda.parse_text(
        "# Programme\n"
        "Matinée\n"
        "\n"
        "- 00:05:00 : Accueil par Jean Dupont,\n"
        "    maire de la ville\n"
        "Après-midi\n"
        "- 01:00:00 : Ateliers :\n"
    )
    assert parsed.items == (
        AgendaItem(300.0, "Accueil", (S("Jean Dupont", "maire de la ville"),), line=4),
        AgendaItem(3600.0, "Ateliers", (), line=7),
    )


def test_a_title_line_above_an_item_at_zero_is_a_heading() -> None:
    parsed = agenda.parse_text("Restitution des ateliers 2024\n00:00 Accueil\n12:00 Atelier\n")
    assert [(i.time, i.title, i.line) for i in parsed.items] == [(0, "Accueil", 2), (720, "Atelier", 3)]


ERRORS = [
    ("- 00:10:00 : A\n- 00:05:00 : B\n", "line 2: time 00:05:00 comes before 00:10:00 (line 1); times must increase"),
    ("- 00:10:00 : A\n\n- 00:10:00 : B\n", "line 3: duplicate time 00:10:00 (also line 1)"),
    ("- Intro\n- 00:00:00 : B\n", "line 2: duplicate time 00:00:00 (also line 1)"),
    ("- 00:10:00 : A\n- 00:1:00 : B\n", "line 2: cannot read the time '00:1:00' (use HH:MM:SS, MM:SS or 1h22m10)"),
    ("- 00:10:00 : A\n- 1h75 : B\n", "line 2: cannot read the time '1h75' (use HH:MM:SS, MM:SS or 1h22m10)"),
    ("- 00:10:00 : A\n- Pause\n", "line 2: no time (only the first item may omit it: it starts at 0)"),
    ("- 00:10:00 :\n", "line 1: no title"),
    ("Déroulé :\n\n", "no agenda items found"),
    ("", "no agenda items found"),
    ("- Introduction\n- Ateliers\n", "no times found (start each item with its time, e.g. '00:12:00 : Title')"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "agenda.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"


def test_file_errors(tmp_path: Path) -> None:
    cases = {
        tmp_path / "absent.txt": "file not found",
        tmp_path / "agenda.docx": "unsupported agenda format '.docx' (use .txt, .toml or .json)",
    }
    (tmp_path / "dir.txt").mkdir()
    cases[tmp_path / "dir.txt"] = "is a directory, not an agenda file"
    for path, message in cases.items():
        with pytest.raises(AgendaError) as caught:
            agenda.parse(path)
        assert str(caught.value) == f"{path}: {message}"


TOML = """\
# the same session as the déroulé
[[item]]
title = "Introduction"
speakers = [{name = "Romain Delassus", role = "Chef du service"}, "Anne Le Gall, Présidente du TMNlab"]

[[item]]
time = 00:12:00
title = "Présentation"

[[item]]
time = "1h22m10"
title = "Conclusions"
"""


def test_toml(tmp_path: Path) -> None:
    path = tmp_path / "agenda.toml"
    path.write_text(TOML, encoding="utf-8")
    assert agenda.parse(path) == Agenda(
        (
            AgendaItem(
                0.0,
                "Introduction",
                (S("Romain Delassus", "Chef du service"), S("Anne Le Gall", "Présidente du TMNlab")),
                line=2,
            ),
            AgendaItem(720.0, "Présentation", (), line=6),
            AgendaItem(4930.0, "Conclusions", (), line=10),
        ),
        source=str(path),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            TOML.replace('"1h22m10"', '"00:11:00"'),
            "line 10: time 00:11:00 comes before 00:12:00 (line 6); times must increase",
        ),
        (
            TOML.replace('"1h22m10"', '"soon"'),
            "line 10: cannot read the time 'soon' (use HH:MM:SS, MM:SS, 1h22m10 or seconds)",
        ),
        (
            TOML.replace('title = "Présentation"', 'titel = "Présentation"'),
            "line 6: unknown key 'titel' (use time, title, speakers)",
        ),
        ("[[item]]\ntitle = 'A'\n", "no times found (start each item with its time, e.g. '00:12:00 : Title')"),
        ("title = 'x'\n", "unknown key 'title' (use item or items)"),
    ],
)
def test_toml_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "agenda.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "agenda.toml"
    path.write_text("[[item]]\ntime = 00:12:00\ntitle = = 'A'\n", encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    message = str(caught.value)  # the rest is tomllib's wording, which varies by Python version
    assert message.startswith(f"{path}: invalid TOML: ") and "line 3" in message and "\n" not in message


def test_json(tmp_path: Path) -> None:
    path = tmp_path / "agenda.json"
    data = {
        "items": [
            {"time": 0, "title": "Intro", "speakers": [{"name": "Jean Dupont", "role": "maire"}]},
            {"time": "00:12:00", "title": "Atelier", "speakers": ["Marie Curie, chimiste, physicienne"]},
            {"time": 1800.5, "title": "Fin"},
        ]
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert agenda.parse(path).items == (
        AgendaItem(0.0, "Intro", (S("Jean Dupont", "maire"),)),
        AgendaItem(720.0, "Atelier", (S("Marie Curie", "chimiste, physicienne"),)),
        AgendaItem(1800.5, "Fin", ()),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"items": [{"time": 60, "title": "A"}, {"time": 60, "title": "B"}]},
            "item 2: duplicate time 00:01:00 (also item 1)",
        ),
        (
            {"items": [{"time": -5, "title": "A"}]},
            "item 1: cannot read the time -5 (use HH:MM:SS, MM:SS, 1h22m10 or seconds)",
        ),
        ({"items": [{"time": 0, "title": 3}]}, "item 1: 'title' must be text"),
        (
            {"items": [{"time": 0, "title": "A", "speakers": [{"role": "x"}]}]},
            "item 1: each speaker needs a 'name' (text)",
        ),
        ({"items": []}, "no agenda items found"),
        ([1, 2], "expected a table with a list of items"),
    ],
)
def test_json_errors(tmp_path: Path, data: object, message: str) -> None:
    path = tmp_path / "agenda.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "agenda.json"
    path.write_text('{"items": [\n  {"time": 0,}\n]}', encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: invalid JSON: Expecting property name enclosed in double quotes (line 2)"


def test_check_fits() -> None:
    parsed = agenda.parse_text(REAL)
    # A 1 h 25 min recording that started 10 s late: the last item (01:30:30) is past its end.
    assert [i.title for i in agenda.check_fits(parsed, duration=5100.0, offset_seconds=10.0)] == [
        "Échanges avec les participants"
    ]
    assert agenda.check_fits(parsed, duration=5500.0, offset_seconds=10.0) == []
    assert len(agenda.check_fits(parsed, duration=5420.0, offset_seconds=10.0)) == 1  # starts exactly at the end


def test_format_table_shows_every_item_and_escapes_markup() -> None:
    parsed = agenda.parse_text(REAL + "- 01:40:00 : [Replay] bonus\n", "agenda.txt")
    console = Console(width=200, record=True)
    console.print(agenda.format_table(parsed))
    out = console.export_text()
    assert "01:30:30" in out and "Échanges avec les participants" in out
    assert "Anne Le Gall, Présidente du TMNlab" in out
    assert "[Replay] bonus" in out


LATE = "- 00:00:00 : Ouverture\n- 00:00:05 : Suite\n- 00:10:00 : Clôture\n"


def test_fit_recording_with_an_automatic_offset(caplog) -> None:
    parsed = agenda.parse_text(LATE, "late.txt")
    with pytest.raises(AgendaError) as caught:
        agenda.fit_recording(parsed, 11.0, "auto", OffsetOptions())
    assert str(caught.value) == (
        "late.txt: line 3: item 'Clôture' at 00:10:00 cannot start inside the recording (11 s) at any plausible offset"
        " (at most 30 s late); check its time or give --offset; use --lenient to drop it"
    )
    kept = agenda.fit_recording(parsed, 11.0, "auto", OffsetOptions(), lenient=True)
    assert [i.title for i in kept.items] == ["Ouverture", "Suite"]
    assert "late.txt: line 3: item 'Clôture' at 00:10:00 cannot start inside" in caplog.text
    assert "item dropped (lenient)" in caplog.text
    # A recording long enough for some plausible offset: nothing refused, nothing dropped.
    assert agenda.fit_recording(parsed, 580.0, "auto", OffsetOptions()) is parsed


def test_fit_recording_with_a_manual_offset_or_none() -> None:
    parsed = agenda.parse_text(LATE, "late.txt")
    message = "late.txt: line 3: item 'Clôture' starts after the end of the recording (11 s); use --lenient to drop it"
    for offset in (2.0, "none"):
        with pytest.raises(AgendaError) as caught:
            agenda.fit_recording(parsed, 11.0, offset, OffsetOptions())
        assert str(caught.value) == message
    assert agenda.fit_recording(parsed, 11.0, 595.0, OffsetOptions()) is parsed
    with pytest.raises(AgendaError) as caught:
        agenda.fit_recording(
            agenda.parse_text("- 00:10:00 : Seul\n", "a.txt"), 11.0, 0.0, OffsetOptions(), lenient=True
        )
    assert str(caught.value) == "a.txt: no agenda item starts inside the recording"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "restitution", *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def _refused_at_once(recording: Path, tmp_path: Path) -> None:
    (tmp_path / "late.txt").write_text(LATE, encoding="utf-8")
    proc = _run("run", str(recording), "--agenda", "late.txt", "--out", "outputs", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("error: late.txt: line 3: item 'Clôture' at 00:10:00 cannot start inside the recording")
    assert "--lenient" in lines[0]
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("*"))


def test_run_refuses_an_item_past_the_end_of_a_synthesized_clip(short_french_wav, tmp_path) -> None:
    _refused_at_once(short_french_wav, tmp_path)


def test_run_refuses_an_item_past_the_end_of_the_jfk_clip(shared_eval, tmp_path) -> None:
    _refused_at_once(shared_eval / "jfk_en" / "jfk.flac", tmp_path)


@pytest.mark.slow
def test_run_lenient_drops_the_item_and_says_so(short_french_wav, tmp_path) -> None:
    (tmp_path / "late.txt").write_text("- 00:00:00 : Ouverture\n- 00:10:00 : Clôture\n", encoding="utf-8")
    proc = _run(
        "run",
        str(short_french_wav),
        "--agenda",
        "late.txt",
        "--out",
        "outputs",
        "--lenient",
        "--language",
        "fr",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stderr.split())  # the log wraps its lines to the terminal's width
    assert "late.txt: line 2: item 'Clôture' at 00:10:00 cannot start inside the recording" in said
    assert "item dropped (lenient)" in said
    (session_json,) = (tmp_path / "outputs").glob("*/session.json")
    data = json.loads(session_json.read_text(encoding="utf-8"))
    assert [c["title"] for c in data["chapters"]] == ["Ouverture"]


# --- the agenda's edge: numbers, encodings, size, control characters, length ----------------------

HELP = "(use HH:MM:SS, MM:SS, 1h22m10 or seconds)"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Infinity", f"item 2: time inf is not a finite number of seconds {HELP}"),
        ("-Infinity", f"item 2: time -inf is not a finite number of seconds {HELP}"),
        ("NaN", f"item 2: time nan is not a finite number of seconds {HELP}"),
        ("1e400", f"item 2: time inf is not a finite number of seconds {HELP}"),
        ("-0.5", f"item 2: cannot read the time -0.5 {HELP}"),
        ("3600000.5", f"item 2: time 3600000.5 is beyond 1000 hours {HELP}"),
        ("1" + "0" * 400, f"item 2: time 1{'0' * 38}… is beyond 1000 hours {HELP}"),
        ('"1e400"', f"item 2: cannot read the time '1e400' {HELP}"),
        ('"1000:00:00"', f"item 2: cannot read the time '1000:00:00' {HELP}"),
    ],
)
def test_json_times_out_of_range(tmp_path: Path, raw: str, message: str) -> None:
    path = tmp_path / "agenda.json"
    path.write_text(f'{{"items": [{{"time": 0, "title": "A"}}, {{"time": {raw}, "title": "B"}}]}}', encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("inf", f"line 4: time inf is not a finite number of seconds {HELP}"),
        ("-inf", f"line 4: time -inf is not a finite number of seconds {HELP}"),
        ("nan", f"line 4: time nan is not a finite number of seconds {HELP}"),
        ("1e400", f"line 4: time inf is not a finite number of seconds {HELP}"),
        ("-12", f"line 4: cannot read the time -12 {HELP}"),
        ("4e6", f"line 4: time 4000000.0 is beyond 1000 hours {HELP}"),
        ("1979-05-27T07:32:00", f"line 4: cannot read the time datetime.datetime(1979, 5, 27, 7, 32) {HELP}"),
    ],
)
def test_toml_times_out_of_range(tmp_path: Path, raw: str, message: str) -> None:
    path = tmp_path / "agenda.toml"
    path.write_text(f"[[item]]\ntitle = 'A'\n\n[[item]]\ntime = {raw}\ntitle = 'B'\n", encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"


def test_text_times_stay_under_1000_hours(tmp_path: Path) -> None:
    assert agenda.parse_text("- A\n- 999:59:59 : B\n").items[1].time == 999 * 3600 + 59 * 60 + 59
    path = tmp_path / "agenda.txt"
    path.write_text("- A\n- 1000:00:00 : B\n", encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: line 2: cannot read the time '1000:00:00' (use HH:MM:SS, MM:SS or 1h22m10)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"\xff\xfe" + "- 00:01 : A".encode("utf-16-le") + b"\x00",
            "starts with a UTF-16 byte order mark (FF FE) but is not valid UTF-16 (byte 24); save it as UTF-8",
        ),
        (
            b"\xff\xfe\x00\xdc- 00:01 : A\n",
            "starts with a UTF-16 byte order mark (FF FE) but is not valid UTF-16 (byte 2); save it as UTF-8",
        ),
        (
            b"\xfe\xff\xd8\x00\x00A",
            "starts with a UTF-16 byte order mark (FE FF) but is not valid UTF-16 (byte 2); save it as UTF-8",
        ),
        (
            b"\xff\xfe\x00\x00\xff\xff\xff\xff",
            "starts with a UTF-32 byte order mark (FF FE 00 00) but is not valid UTF-32 (byte 4); save it as UTF-8",
        ),
    ],
)
def test_a_bad_byte_order_mark_is_one_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "agenda.txt"
    path.write_bytes(data)
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_real_utf16_and_utf32_agendas_are_read(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "agenda.txt"
    path.write_bytes("\ufeff".encode(codec) + REAL.encode(codec))
    assert agenda.parse(path).items == EXPECTED
    path.write_bytes(REAL.encode(codec[:6] + "-le"))  # "Unicode" text saved without its BOM
    if codec.startswith("utf-16"):
        assert agenda.parse(path).items == EXPECTED


def test_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "agenda.txt"
    path.write_bytes(b"- 00:00 : A\n" + b" " * agenda.MAX_BYTES)
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: larger than 1 MiB: not an agenda (an agenda is a page of text)"
    path.write_bytes(b"- 00:00 : A\n".ljust(agenda.MAX_BYTES, b" "))  # exactly at the cap: read
    assert agenda.parse(path).items[0].title == "A"


def test_agenda_of_dev_zero_fails_at_once(tmp_path: Path) -> None:
    proc = _run("agenda", "/dev/zero", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: /dev/zero: larger than 1 MiB: not an agenda (an agenda is a page of text)"


HOSTILE = (
    "- 00:00:00 : Accueil\x00 par Anne\x1b[31m Le Gall\x1b[0m, présidente\x07\n"
    "- 00:05:00 : \x1b]0;pwned\x07Atelier\x1b]8;;http://evil.example\x1b\\ lien\x1b]8;;\x1b\\ \x9b2Jtest\x7f\u202e "
    "avec Jean\x0bDupont\n"
)


def test_control_characters_are_stripped(tmp_path: Path) -> None:
    parsed = agenda.parse_text(HOSTILE)
    assert [(i.title, [(p.name, p.role) for p in i.speakers]) for i in parsed.items] == [
        ("Accueil", [("Anne Le Gall", "présidente")]),
        ("Atelier lien test", [("Jean Dupont", None)]),
    ]
    path = tmp_path / "agenda.json"
    path.write_text(
        json.dumps(
            {
                "items": [
                    {
                        "time": 0,
                        "title": "\x1b]0;pwned\x07Ouverture\x00",
                        "speakers": [{"name": "Léa\x1b[2J Roux", "role": "\x9b2Jchercheuse"}],
                    },
                ]
            }
        ),
        encoding="utf-8",
    )  # escaped in the file, real control characters once decoded
    item = agenda.parse(path).items[0]
    assert (item.title, item.speakers) == ("Ouverture", (AgendaSpeaker("Léa Roux", "chercheuse"),))


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    (tmp_path / "agenda.txt").write_text(HOSTILE, encoding="utf-8")
    for extra in ((), ("--json",)):
        proc = _run("agenda", "agenda.txt", *extra, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "Atelier lien test" in proc.stdout and "pwned" not in proc.stdout
        assert not any(ord(c) < 32 and c not in "\n" or 0x7F <= ord(c) <= 0x9F for c in proc.stdout), repr(proc.stdout)


def test_agendas_of_any_length(tmp_path: Path) -> None:
    lines = "".join(f"- {k // 60:02d}:{k % 60:02d}:00 : Point {k + 1} avec Jean Dupont\n" for k in range(600))
    parsed = agenda.parse_text(lines)
    assert len(parsed.items) == 600 and parsed.items[-1].title == "Point 600"
    console = Console(width=120, record=True)
    console.print(agenda.format_table(parsed))
    assert "Point 600" in console.export_text()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("agenda.json", "[" * 5000, "invalid JSON: a value too long or nested too deeply to read"),
        ("agenda.toml", "a = " + "[" * 5000, "invalid TOML: a value too long or nested too deeply to read"),
        (
            "agenda.json",
            '{"items": [{"time": ' + "1" * 5000 + ', "title": "A"}]}',
            "invalid JSON: a value too long or nested too deeply to read",
        ),
    ],
)
def test_values_too_deep_or_too_long(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AgendaError) as caught:
        agenda.parse(path)
    assert str(caught.value) == f"{path}: {message}"
