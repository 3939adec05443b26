"""Published outputs: the modes the user's umask gives, readable by a web server's user, and
nothing written or deleted outside a session's output folder, whatever symlinks it holds.

Real exports: a real recording (ffmpeg's sine), real MP3 encoding, real SQLite databases.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import sample_result

from restitution.errors import OutputError
from restitution.export import write_all
from restitution.export.feed import write_feed
from restitution.export.html import write_archive_page
from restitution.files import write_text
from restitution.index import index_session
from restitution.options import PipelineOptions
from restitution.types import SessionResult
from restitution.voices import VoiceLibrary

DURATION = 12.0


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "audio.wav"
    sine = f"sine=frequency=330:duration={DURATION}"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", sine, "-ar", "16000", "-ac", "1", str(path)], check=True
    )
    return path


def result_for(recording: Path, session_id: str = "atelier-2024") -> SessionResult:
    base = sample_result(session_id=session_id, duration=DURATION, lines=[
        (0.5, "S1", "Bonjour à tous et bienvenue."),
        (3.0, "S2", "Merci Romain. Présentation de la méthode."),
        (7.5, "S3", "Le réemploi des décors passe par les ressourceries."),
    ])  # fmt: skip
    chapters = tuple(dataclasses.replace(c, end=min(c.end, DURATION), start=min(c.start, 6.0)) for c in base.chapters)
    return dataclasses.replace(
        base,
        session=dataclasses.replace(base.session, recording=recording),
        audio=dataclasses.replace(base.audio, path=recording),
        chapters=chapters,
    )


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def modes_under(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        if not path.is_symlink():
            found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002], indirect=True)
def test_every_output_gets_the_mode_the_umask_gives(umask: int, recording: Path, tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    result = result_for(recording)
    out_dir = outputs / result.session.id
    write_all(result, out_dir, PipelineOptions(outputs=str(outputs)))
    write_all(result, out_dir, PipelineOptions(outputs=str(outputs)))  # a re-export replaces every file
    write_feed(outputs, base_url="https://media.example.org/", title="Ateliers")
    index_session(outputs / "index.sqlite", result, out_dir)
    VoiceLibrary(outputs / "voices.sqlite").enroll("Romain Delassus", [0.1] * 8, model="test")
    modes = modes_under(outputs)
    for name in ("atelier-2024.mp3", "chapters/01-introduction.mp3", "atelier-2024.vtt", "atelier-2024.srt",
                 "index.html", "session.json", ".work/export.mp3.json"):  # fmt: skip
        assert f"atelier-2024/{name}" in modes
    for name in ("index.html", "feed.xml", "index.sqlite", "voices.sqlite", ".archive-id"):
        assert name in modes
    # SQLite creates its files with at most 0644 (its compiled-in default), whatever the umask.
    wanted = {n: 0o777 if (outputs / n).is_dir() else 0o644 if n.endswith(".sqlite") else 0o666 for n in modes}
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != wanted[name] & ~umask}
    assert not wrong, f"umask {oct(umask)}: {wrong}"


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv to act as another user"
)
def test_another_user_can_read_everything_published(recording: Path) -> None:
    previous = os.umask(0o022)
    root = Path(tempfile.mkdtemp(prefix="restitution-published-", dir="/tmp"))
    try:
        root.chmod(0o755)  # a web server's folder; mkdtemp makes it private
        outputs = root / "outputs"
        outputs.mkdir()
        result = result_for(recording)
        write_all(result, outputs / result.session.id, PipelineOptions(outputs=str(outputs)))
        write_feed(outputs, base_url="https://media.example.org/", title="Ateliers")
        published = [p for p in outputs.rglob("*") if p.is_file() and ".work" not in p.parts]
        assert len(published) >= 12
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat"]
        run = subprocess.run([*nobody, *map(str, published)], capture_output=True, check=False)
        assert run.returncode == 0, run.stderr.decode(errors="replace")
    finally:
        os.umask(previous)
        shutil.rmtree(root)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """Another archive's folder, with a file that must survive and a name a stale sweep would delete."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "sentinel.txt").write_text("keep me\n")
    (folder / "07-old-chapter.vtt").write_text("WEBVTT\n")
    (folder / "07-old-chapter.mp3").write_bytes(b"ID3")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def refused(recording: Path, out_dir: Path, culprit: Path) -> OutputError:
    with pytest.raises(OutputError) as caught:
        write_all(result_for(recording), out_dir, PipelineOptions(outputs=str(out_dir.parent)))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{culprit}: is a symlink to") and "outside" in message
    return caught.value


def test_a_chapters_symlink_leading_out_is_refused_and_nothing_is_touched(
    recording: Path, tmp_path: Path, elsewhere: Path
) -> None:
    out_dir = tmp_path / "outputs" / "atelier-2024"
    out_dir.mkdir(parents=True)
    (out_dir / "chapters").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    refused(recording, out_dir, out_dir / "chapters")
    assert snapshot(elsewhere) == before, "the folder the link points to was written or swept"
    assert sorted(p.name for p in out_dir.iterdir()) == ["chapters"], "nothing is written before the refusal"


LINKS = ["atelier-2024.vtt", "index.html", ".work", "chapters/01-introduction.mp3", "chapters/07-old-chapter.vtt"]


@pytest.mark.parametrize("name", LINKS)
def test_any_symlink_leading_out_is_refused(recording: Path, tmp_path: Path, elsewhere: Path, name: str) -> None:
    out_dir = tmp_path / "outputs" / "atelier-2024"
    (out_dir / "chapters").mkdir(parents=True)
    link = out_dir / name
    file = "07-old-chapter.vtt" if name.endswith(".vtt") else "sentinel.txt"
    target = elsewhere if name == ".work" else elsewhere / file
    link.symlink_to(target)
    before = snapshot(elsewhere)
    refused(recording, out_dir, link)
    assert snapshot(elsewhere) == before


def test_links_that_stay_inside_the_session_folder_are_followed(recording: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "outputs" / "atelier-2024"
    (out_dir / "chapter-files").mkdir(parents=True)
    (out_dir / "chapters").symlink_to("chapter-files", target_is_directory=True)
    write_all(result_for(recording), out_dir, PipelineOptions(outputs=str(out_dir.parent)))
    assert (out_dir / "chapter-files" / "01-introduction.mp3").is_file()


def test_archive_page_and_feed_refuse_links_leading_out_of_outputs(tmp_path: Path, elsewhere: Path) -> None:
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    for name in ("index.html", "feed.xml"):
        (outputs / name).symlink_to(elsewhere / "sentinel.txt")
    before = snapshot(elsewhere)
    with pytest.raises(OutputError, match=r"index\.html: is a symlink to .*outside"):
        write_archive_page(outputs)
    with pytest.raises(OutputError, match=r"feed\.xml: is a symlink to .*outside"):
        write_feed(outputs, base_url="https://media.example.org/", title="T")
    assert snapshot(elsewhere) == before


def test_the_atomic_writer_itself_refuses_inside_a_confinement(tmp_path: Path, elsewhere: Path) -> None:
    from restitution.files import confined, remove

    root = tmp_path / "session"
    root.mkdir()
    (root / "sub").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    with confined(root):
        with pytest.raises(OutputError, match=r"sub: is a symlink"):
            write_text(root / "sub" / "new.txt", "x")
        with pytest.raises(OutputError, match=r"sub: is a symlink"):
            remove(root / "sub" / "sentinel.txt")
        write_text(root / "fine.txt", "x")
    assert snapshot(elsewhere) == before and (root / "fine.txt").read_text() == "x"
