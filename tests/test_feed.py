"""The podcast feed: every required element, every session, hostile text that round-trips."""

from __future__ import annotations

import email.utils
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from restitution.errors import ConfigError
from restitution.export.feed import ARCHIVE_ID, ITUNES, PODCAST, item_guid, url_guid, write_feed
from restitution.export.session_json import write_session_json
from restitution.types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word

NS = {"itunes": ITUNES, "podcast": PODCAST}
BASE = "https://archive.example.org/sessions"
HOSTILE = '<script>alert("x")</script> & l\'« atelier » "quoted" 🎙️ ]]>'


def make_session(
    outputs: Path,
    sid: str,
    *,
    title: str,
    date: str | None,
    duration: float,
    speakers,
    chapters,
    mp3_bytes: int,
    language: str = "fr",
    sha256: str | None = None,
    options: dict | None = None,
) -> Path:
    folder = outputs / sid
    session = Session(id=sid, recording=Path(f"/recordings/{sid}/rec.mp3"), title=title, date=date)
    sha = sha256 or (sid.encode().hex() * 64)[:64]
    audio = AudioInfo(path=session.recording, duration=duration, sha256=sha, sample_rate=44100, channels=1, codec="mp3")
    result = SessionResult(
        session=session,
        audio=audio,
        language=language,
        options=options or {},
        offset=Offset(0.0, "none"),
        speakers=tuple(speakers),
        chapters=tuple(chapters),
        segments=(Segment(0.0, 1.0, "Bonjour", (Word(0.0, 1.0, " Bonjour", 0.9),), "S1"),),
    )
    write_session_json(result, folder / "session.json")
    (folder / f"{sid}.mp3").write_bytes(b"\xff\xfb" * (mp3_bytes // 2))
    (folder / f"{sid}.vtt").write_text("WEBVTT\n")
    (folder / f"{sid}.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nBonjour\n")
    (folder / "transcript.json").write_text(json.dumps({"version": "1.0.0", "segments": []}))
    (folder / "chapters.json").write_text(json.dumps({"version": "1.2.0", "chapters": []}))
    return folder


@pytest.fixture
def outputs(tmp_path: Path) -> Path:
    out = tmp_path / "outputs"
    make_session(
        out,
        "atelier-donnees",
        title="Restitution de l'atelier « Données »",
        date="2024-03-15",
        duration=3725.4,
        speakers=[
            Speaker("S1", "Anne Le Gall", "Présidente du TMNlab", 100.0, "agenda"),
            Speaker("S2", "Pierre Beffeyte", None, 50.0, "agenda"),
            Speaker("S3", None, None, 10.0, "unnamed"),
        ],
        chapters=[
            Chapter(1, "Introduction", 0.0, 0.0, 60.0, ("Anne Le Gall",)),
            Chapter(2, "Données", 60.0, 60.0, 3725.4, ("Pierre Beffeyte",)),
        ],
        mp3_bytes=123456,
    )
    make_session(
        out,
        "hostile",
        title=HOSTILE + "\x0b\x00",
        date="2024-04-02T18:30:00+02:00",
        duration=59.6,
        speakers=[Speaker("S1", HOSTILE, None, 30.0, "session")],
        chapters=[Chapter(1, HOSTILE, 0.0, 0.0, 59.6, ())],
        mp3_bytes=2000,
    )
    broken = out / "broken"
    broken.mkdir()
    (broken / "session.json").write_text("{not json")
    no_mp3 = make_session(
        out, "no-mp3", title="Sans MP3", date="2024-01-01", duration=10.0, speakers=[], chapters=[], mp3_bytes=10
    )
    (no_mp3 / "no-mp3.mp3").unlink()
    return out


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_channel_has_every_required_element(outputs: Path) -> None:
    path = write_feed(
        outputs, base_url=BASE, title="Archives & sessions", description="Les sessions <publiques>", author="TMNlab"
    )
    assert path == outputs / "feed.xml"
    rss = parse(path)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Archives & sessions"
    assert channel.findtext("link") == BASE + "/"
    assert channel.findtext("description") == "Les sessions <publiques>"
    assert channel.findtext("language") == "fr"
    assert channel.findtext("itunes:author", namespaces=NS) == "TMNlab"
    assert channel.find("itunes:category", NS).get("text") == "Society & Culture"
    assert len(channel.findtext("podcast:guid", namespaces=NS)) == 36
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("<?xml version='1.0' encoding='utf-8'?>")
    assert f'xmlns:podcast="{PODCAST}"' in raw and f'xmlns:itunes="{ITUNES}"' in raw
    assert not list(outputs.glob(".feed.xml.*")), "no temporary file may be left beside the feed"


def test_one_item_per_readable_session_with_enclosure_transcripts_chapters(outputs: Path) -> None:
    channel = parse(write_feed(outputs, base_url=BASE + "/", title="T")).find("channel")
    items = channel.findall("item")
    archive_id = url_guid(BASE + "/")
    assert [i.findtext("guid") for i in items] == [
        item_guid(archive_id, "hostile"),
        item_guid(archive_id, "atelier-donnees"),
    ], "newest first; the unreadable session.json and the session without MP3 are left out"
    item = items[1]
    assert item.findtext("title") == "Restitution de l'atelier « Données »"
    assert item.find("guid").get("isPermaLink") == "false"
    assert email.utils.parsedate_to_datetime(item.findtext("pubDate")).date().isoformat() == "2024-03-15"
    enclosure = item.find("enclosure")
    assert enclosure.attrib == {
        "url": f"{BASE}/atelier-donnees/atelier-donnees.mp3",
        "length": "123456",
        "type": "audio/mpeg",
    }
    assert item.findtext("itunes:duration", namespaces=NS) == "01:02:05"
    transcripts = {t.get("type"): t.attrib for t in item.findall("podcast:transcript", NS)}
    assert transcripts["text/vtt"] == {
        "url": f"{BASE}/atelier-donnees/atelier-donnees.vtt",
        "type": "text/vtt",
        "rel": "captions",
        "language": "fr",
    }
    assert transcripts["application/x-subrip"]["url"] == f"{BASE}/atelier-donnees/atelier-donnees.srt"
    assert transcripts["application/json"]["url"] == f"{BASE}/atelier-donnees/transcript.json"
    chapters = item.find("podcast:chapters", NS)
    assert chapters.attrib == {"url": f"{BASE}/atelier-donnees/chapters.json", "type": "application/json+chapters"}
    people = [(p.text, p.get("role")) for p in item.findall("podcast:person", NS)]
    assert people == [("Anne Le Gall", "host"), ("Pierre Beffeyte", "guest")], "unnamed voices are not people"
    assert "Données" in item.findtext("description")
    assert channel.findtext("lastBuildDate") == items[0].findtext("pubDate")


def test_hostile_text_round_trips(outputs: Path) -> None:
    path = write_feed(outputs, base_url=BASE, title=HOSTILE, description=HOSTILE, author=HOSTILE)
    raw = path.read_bytes()
    assert b"<script>" not in raw
    channel = parse(path).find("channel")
    assert channel.findtext("title") == HOSTILE
    assert channel.findtext("itunes:author", namespaces=NS) == HOSTILE
    item = next(i for i in channel.findall("item") if i.find("enclosure").get("url").endswith("hostile.mp3"))
    assert item.findtext("title") == HOSTILE, "control characters XML cannot carry are dropped, the rest survives"
    assert item.find("podcast:person", NS).text == HOSTILE
    assert HOSTILE in item.findtext("description")
    assert email.utils.parsedate_to_datetime(item.findtext("pubDate")).isoformat() == "2024-04-02T18:30:00+02:00"


def test_empty_outputs_still_make_a_valid_feed(tmp_path: Path) -> None:
    channel = parse(write_feed(tmp_path, base_url=BASE, title="Vide")).find("channel")
    assert channel.findall("item") == [] and channel.findtext("title") == "Vide"


@pytest.mark.parametrize("url", ["", "archive.example.org", "ftp://x.org/", "/sessions"])
def test_base_url_must_be_absolute_http(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="base URL"):
        write_feed(tmp_path, base_url=url, title="T")
    assert not (tmp_path / "feed.xml").exists()


def test_cli_feed(outputs: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "restitution", "feed", "--out", str(outputs), "--title", "Ateliers"]
    missing = subprocess.run(command, capture_output=True, text=True, cwd=outputs)
    assert missing.returncode == 1 and "base URL" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    done = subprocess.run([*command, "--base-url", BASE], capture_output=True, text=True, cwd=outputs)
    assert done.returncode == 0, done.stderr
    channel = parse(outputs / "feed.xml").find("channel")
    assert channel.findtext("title") == "Ateliers" and len(channel.findall("item")) == 2


def speakers_of(item: ET.Element) -> list[str]:
    return [p.text for p in item.findall("podcast:person", NS)]


def test_two_sessions_of_the_same_audio_get_two_guids_that_stay_the_same(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    same_audio = "c0ffee" * 10 + "c0ff"
    for sid in ("seance-1", "seance-1-2"):
        make_session(out, sid, title="Séance", date="2024-05-01", duration=60.0, speakers=[], chapters=[],
                     mp3_bytes=100, sha256=same_audio)  # fmt: skip
    first = [i.findtext("guid") for i in parse(write_feed(out, base_url=BASE, title="T")).iter("item")]
    assert len(set(first)) == 2, first
    assert all(same_audio not in guid for guid in first)
    archive_id = (out / ARCHIVE_ID).read_text().strip()
    # A rerun, even from another address, keeps every GUID: the archive's id was kept.
    again = [
        i.findtext("guid")
        for i in parse(write_feed(out, base_url="https://elsewhere.example.net/a", title="T")).iter("item")
    ]
    assert again == first
    assert parse(out / "feed.xml").find("channel").findtext("podcast:guid", namespaces=NS) == archive_id
    # Another archive holding a session of the same id and audio is another podcast: other GUIDs.
    other = tmp_path / "other"
    make_session(other, "seance-1", title="Séance", date="2024-05-01", duration=60.0, speakers=[], chapters=[],
                 mp3_bytes=100, sha256=same_audio)  # fmt: skip
    theirs = [
        i.findtext("guid")
        for i in parse(write_feed(other, base_url="https://other.example.org/", title="T")).iter("item")
    ]
    assert not set(theirs) & set(first)


def test_a_broken_archive_id_is_one_line_naming_the_file(tmp_path: Path) -> None:
    from restitution.errors import RestitutionError

    out = tmp_path / "outputs"
    make_session(out, "s", title="S", date="2024-05-01", duration=6.0, speakers=[], chapters=[], mp3_bytes=10)
    (out / ARCHIVE_ID).write_text("not a uuid\n")
    with pytest.raises(RestitutionError, match=r"\.archive-id: cannot read the archive id") as caught:
        write_feed(out, base_url=BASE, title="T")
    assert "\n" not in str(caught.value) and not (out / "feed.xml").exists()


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("fr", "Intervenants : "),
        ("fr-CA", "Intervenants : "),
        ("en", "Speakers: "),
        ("de", "Speakers: "),
        ("", "Speakers: "),
    ],
)
def test_the_speakers_label_follows_the_session_language(tmp_path: Path, language: str, label: str) -> None:
    out = tmp_path / "outputs"
    make_session(out, "s", title="S", date="2024-05-01", duration=6.0, speakers=[Speaker("S1", "Anne Le Gall", None, 3.0, "agenda")],
                 chapters=[Chapter(1, "Intro", 0.0, 0.0, 6.0, ())], mp3_bytes=10, language=language)  # fmt: skip
    description = parse(write_feed(out, base_url=BASE, title="T")).find("channel/item").findtext("description")
    assert description == f"- Intro\n\n{label}Anne Le Gall"


def test_placeholder_voices_are_never_people(tmp_path: Path) -> None:
    out = tmp_path / "outputs"
    speakers = [
        Speaker("S1", "Anne Le Gall", None, 30.0, "agenda"),
        Speaker("S2", "Intervenant 1", None, 20.0, "unnamed"),
        Speaker("S3", "Speaker 2", None, 20.0, None),  # an older session.json without source
        Speaker("S4", "Voix 3", None, 10.0, "unnamed"),
        Speaker("S5", "Voix 4", None, 10.0, "session"),  # the configured label, given back by [speakers]
        Speaker("S6", "Marc Voisin", None, 10.0, "voiceprint"),
    ]
    make_session(out, "s", title="S", date="2024-05-01", duration=60.0, speakers=speakers, chapters=[], mp3_bytes=10,
                 language="en", options={"voices": {"unnamed_label": "Voix"}})  # fmt: skip
    item = parse(write_feed(out, base_url=BASE, title="T")).find("channel/item")
    assert speakers_of(item) == ["Anne Le Gall", "Marc Voisin"]
    assert item.findtext("description") == "Speakers: Anne Le Gall, Marc Voisin"
