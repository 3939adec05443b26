"""Session discovery: folders, files with --agenda, session.toml checks."""

from pathlib import Path

import pytest

from restitution.errors import AgendaError, AudioError, ConfigError
from restitution.files import slugify
from restitution.sessions import find_sessions, load_session


def make_folder(root: Path, name: str, media=("talk.mp3",), agenda="agenda.txt", toml=None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for m in media:
        (folder / m).write_bytes(b"x")
    if agenda:
        (folder / agenda).write_text("- 00:00:00 : Ouverture\n", encoding="utf-8")
    if toml is not None:
        (folder / "session.toml").write_text(toml, encoding="utf-8")
    return folder


def test_folder_session_id_and_toml(tmp_path):
    folder = make_folder(
        tmp_path, "Séance du 12 Mai", toml='title = "Séance"\ndate = 2026-05-12\n[speakers]\nS3 = "Pierre Beffeyte"\n'
    )
    session, data, toml_path = load_session(folder)
    assert session.id == "seance-du-12-mai"
    assert session.recording.name == "talk.mp3"
    assert session.agenda_path.name == "agenda.txt"
    assert session.title == "Séance" and session.date == "2026-05-12"
    assert session.speaker_names == {"S3": "Pierre Beffeyte"}
    assert toml_path == folder / "session.toml"


def test_file_with_agenda(tmp_path):
    rec = tmp_path / "My Talk.mp3"
    rec.write_bytes(b"x")
    agenda = tmp_path / "a.txt"
    agenda.write_text("- 00:00:00 : Ouverture\n")
    session, data, _ = load_session(rec, agenda)
    assert session.id == "my-talk" and session.folder is None and data == {}


def test_file_without_agenda(tmp_path):
    rec = tmp_path / "t.mp3"
    rec.write_bytes(b"x")
    with pytest.raises(AgendaError, match="no agenda"):
        load_session(rec)


def test_missing_file():
    with pytest.raises(AudioError, match="file not found"):
        load_session(Path("/nonexistent/talk.mp3"), Path("/nonexistent/a.txt"))


def test_two_recordings_is_an_error(tmp_path):
    folder = make_folder(tmp_path, "s", media=("a.mp3", "b.wav"))
    with pytest.raises(AudioError, match=r"more than one recording in this session folder \(a.mp3, b.wav\)"):
        load_session(folder)


def test_session_toml_wrong_type(tmp_path):
    folder = make_folder(tmp_path, "s", toml="title = 3\n")
    with pytest.raises(ConfigError) as e:
        load_session(folder)
    assert str(e.value) == f"{folder / 'session.toml'}: 'title' must be a string, not int"


def test_find_sessions_skips_incomplete_folders(tmp_path):
    make_folder(tmp_path, "b")
    make_folder(tmp_path, "a")
    make_folder(tmp_path, "no-agenda", agenda=None)
    (tmp_path / "empty").mkdir()
    assert [p.name for p in find_sessions(tmp_path)] == ["a", "b"]
    assert find_sessions(tmp_path / "a") == [tmp_path / "a"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Засідання", "会议"),
        ("Συνεδρίαση", "جلسة"),
        (
            "Journée de restitution des ateliers numériques du ministère 2024 - séance 1",
            "Journée de restitution des ateliers numériques du ministère 2024 - séance 2",
        ),
        ("Łódź", "Lodz 2"),
    ],
)
def test_slugs_of_different_names_differ(a: str, b: str) -> None:
    assert slugify(a) != slugify(b)
    for slug in (slugify(a), slugify(b)):
        assert slug and len(slug) <= 60 and "/" not in slug and slug not in (".", "..")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Séance du 12 mai", "seance-du-12-mai"),
        ("Засідання ради", "засідання-ради"),
        ("Œuvres & Straße", "oeuvres-strasse"),
        ("CON", "session-con"),
        ("..", "session"),
        ("a/b\\c", "a-b-c"),
    ],
)
def test_slugs_keep_every_script_and_stay_safe(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_a_long_slug_is_stable() -> None:
    title = "Rencontre régionale des tiers-lieux culturels et numériques de Bourgogne-Franche-Comté, séance plénière"
    assert slugify(title) == slugify(title)
    assert len(slugify(title)) == 60
