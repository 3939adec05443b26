"""The session page in a real headless Chromium: player, captions, chapters, transcript, search.

Needs Debian's `chromium` (/usr/bin/chromium) and Playwright's Python package (never its own
browser download); the audio is real speech made with espeak-ng and encoded by ffmpeg.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import pytest

from restitution.export.html import archive_page, script_json, session_page, write_archive_page, write_session_page
from restitution.export.session_json import write_session_json
from restitution.export.vtt import write_vtt
from restitution.options import ExportOptions
from restitution.types import AudioInfo, Chapter, Offset, Segment, Session, SessionResult, Speaker, Word

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
EVIL_TITLE = "<script>alert(1)</script> Restitution & « ateliers »"
SENTENCES = [
    ("S1", "fr+m3", "Bonjour à tous, bienvenue à cette restitution."),
    ("S2", "fr+f2", "Parlons maintenant des ateliers de la journée."),
    ("S3", "fr+m1", "Le réemploi des décors passe par les ressourceries."),
]


def hand_result(segments: tuple[Segment, ...], duration: float, title: str = EVIL_TITLE) -> SessionResult:
    return SessionResult(
        session=Session(id="demo", recording=Path("demo.mp3"), title=title, date="2024-05-14"),
        audio=AudioInfo(Path("demo.mp3"), duration, "0" * 64, 22050, 1, "mp3"),
        language="fr",
        offset=Offset(0.0, "none"),
        speakers=(
            Speaker("S1", "Romain Delassus", "Chef du service du numérique", 3.0),
            Speaker("S2", "Anne <b>Le Gall</b>", "Présidente du TMNlab", 3.0),
            Speaker("S3", "Stéphanie Mabileau", None, 3.0),
        ),
        chapters=(
            Chapter(1, "Introduction", 0.0, 0.0, segments[2].start, ("Romain Delassus", "Anne Le Gall")),
            Chapter(
                2,
                "Atelier « économie circulaire » </script><!--",
                60.0,
                segments[2].start,
                duration,
                ("Stéphanie Mabileau",),
            ),
        ),
        segments=segments,
    )


def test_page_escapes_every_agenda_and_transcript_string():
    segs = (
        Segment(0.0, 2.0, "a <img src=x onerror=alert(2)> b", (), "S1"),
        Segment(3.0, 5.0, "c", (), "S2"),
        Segment(6.0, 8.0, "d", (), "S3"),
    )
    page = session_page(hand_result(segs, 10.0))
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>Le Gall" not in page and "Anne &lt;b&gt;Le Gall&lt;/b&gt;" in page
    assert "</script><!--" not in page
    # Exactly the page's own two scripts: the JSON data block and the code, which carries the CSP nonce.
    nonce = re.search(r"script-src 'nonce-([0-9a-f]{24})'", page).group(1)
    assert re.findall(r"<script[^>]*>", page) == [
        '<script type="application/json" id="page-data">',
        f'<script nonce="{nonce}">',
    ]
    assert "http://" not in page and "https://" not in page  # self-contained: nothing fetched from elsewhere


def test_page_without_chapters_or_words():
    segs = (Segment(0.0, 2.0, "Bonjour.", (), None),)
    bare = SessionResult.from_dict({**hand_result(segs * 3, 10.0).to_dict(), "chapters": [], "speakers": []})
    page = session_page(bare)
    assert "Avant le premier chapitre" not in page and "Aucun chapitre" in page and page.count('class="para"') == 1
    empty = SessionResult.from_dict({**bare.to_dict(), "segments": []})
    assert 'class="para"' not in session_page(empty)


def test_script_json_cannot_close_the_script():
    text = script_json({"t": "</script><!-- ]]> & é"})
    assert "</" not in text and "<!--" not in text and "]]>" in text.replace("\\u003e", ">")
    assert json.loads(text) == {"t": "</script><!-- ]]> & é"}


def test_archive_page_lists_sessions_newest_first(tmp_path):
    for sid, date, title in (
        ("a", "2023-01-02", "Ancienne <séance>"),
        ("b", "2024-06-01", "Nouvelle"),
        ("c", None, "Sans date"),
    ):
        segs = (Segment(0.0, 2.0, "x", (), "S1"), Segment(3.0, 5.0, "y", (), "S2"), Segment(6.0, 8.0, "z", (), "S3"))
        r = hand_result(segs, 5400.0, title)
        r = SessionResult.from_dict({**r.to_dict(), "session": {**r.session.to_dict(), "id": sid, "date": date}})
        write_session_json(r, tmp_path / sid / "session.json")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "session.json").write_text("{not json", encoding="utf-8")
    write_archive_page(tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert page.index('href="b/index.html"') < page.index('href="a/index.html"') < page.index('href="c/index.html"')
    assert (
        "Ancienne &lt;séance&gt;" in page
        and "1 h 30" in page
        and "Romain Delassus, Anne &lt;b&gt;Le Gall&lt;/b&gt;" in page
    )
    assert "3 séances" in page
    assert archive_page(tmp_path) == page
    # A changed session.json is read again; unchanged ones come from the cache.
    cache = json.loads((tmp_path / ".archive-cache.json").read_text(encoding="utf-8"))
    assert sorted(cache) == ["a", "b", "c"]
    data = json.loads((tmp_path / "a" / "session.json").read_text(encoding="utf-8"))
    data["session"]["title"] = "Renommée"
    (tmp_path / "a" / "session.json").write_text(json.dumps(data), encoding="utf-8")
    assert "Renommée" in archive_page(tmp_path) and "Ancienne" not in archive_page(tmp_path)


@pytest.mark.parametrize(
    ("language", "words"),
    [("fr", ["Intervenants", "Chapitres", 'id="chapitre-1"']), ("en", ["Speakers", "Chapters", 'id="chapter-1"']),
     ("de", ["Speakers", "Chapters", 'id="chapter-1"'])],
)  # fmt: skip
def test_page_labels_follow_the_session_language(language, words):
    segs = (Segment(0.0, 2.0, "a", (), "S1"), Segment(3.0, 5.0, "b", (), "S2"), Segment(6.0, 8.0, "c", (), "S3"))
    result = SessionResult.from_dict({**hand_result(segs, 10.0).to_dict(), "language": language})
    page = session_page(result)
    assert all(word in page for word in words), [w for w in words if w not in page]
    other = {"fr": ["Speakers", "chapter-1"], "en": ["Intervenants", "chapitre-1"], "de": ["Intervenants"]}[language]
    assert not [w for w in other if w in page]


def test_archive_page_lists_no_placeholder_voice(tmp_path):
    segs = (Segment(0.0, 2.0, "x", (), "S1"), Segment(3.0, 5.0, "y", (), "S2"), Segment(6.0, 8.0, "z", (), "S3"))
    r = hand_result(segs, 60.0, "Séance")
    speakers = [Speaker("S1", "Romain Delassus", None, 3.0, "agenda"), Speaker("S2", "Intervenant 1", None, 3.0, "unnamed"),
                Speaker("S3", "Speaker 2", None, 3.0, "session")]  # fmt: skip
    r = SessionResult.from_dict({**r.to_dict(), "speakers": [sp.to_dict() for sp in speakers]})
    write_session_json(r, tmp_path / "demo" / "session.json")
    page = archive_page(tmp_path)
    assert "Romain Delassus" in page and "Intervenant 1" not in page and "Speaker 2" not in page


def page_cues(page: str) -> list:
    return json.loads(re.search(r'id="page-data">(.*?)</script>', page, re.S).group(1))["cues"]


def test_page_captions_follow_the_export_options():
    words = tuple(Word(i * 0.3, i * 0.3 + 0.25, " réemploi", 0.9) for i in range(12))
    segs = (Segment(0.0, 3.6, "", words, "S1"), Segment(5.0, 6.0, "b", (), "S2"), Segment(7.0, 8.0, "c", (), "S3"))
    result = hand_result(segs, 10.0)
    narrow = ExportOptions(caption_max_chars=20, caption_max_lines=1)
    assert len(page_cues(session_page(result, narrow))) > len(page_cues(session_page(result)))


# --- the browser test ------------------------------------------------------------------------


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """http.server plus byte ranges, which browsers use to seek in audio."""

    def log_message(self, *args):
        pass

    def send_head(self):
        rng = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not rng or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start_s, _, end_s = rng.removeprefix("bytes=").partition("-")
        start = int(start_s or 0)
        end = min(int(end_s) if end_s else size - 1, size - 1)
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return _Limited(f, end - start + 1)


class _Limited:
    def __init__(self, f, n):
        self.f, self.n = f, n

    def read(self, size=-1):
        size = self.n if size < 0 else min(size, self.n)
        data = self.f.read(size)
        self.n -= len(data)
        return data

    def close(self):
        self.f.close()


def synthesize(folder: Path) -> SessionResult:
    """Three espeak-ng voices, one sentence each, with a pause between them; MP3 by ffmpeg."""
    parts, segments, t = [], [], 0.0
    for i, (spk, voice, text) in enumerate(SENTENCES):
        wav = folder / f"part{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
        with wave.open(str(wav)) as w:
            length = w.getnframes() / w.getframerate()
        tokens = text.split()
        step = length / len(tokens)
        words = tuple(Word(t + k * step, t + (k + 1) * step, " " + tok, 0.9) for k, tok in enumerate(tokens))
        segments.append(Segment(t, t + length, text, words, spk))
        parts.append(wav)
        t += length + 1.0
    inputs = []
    for wav in parts:
        inputs += ["-i", str(wav)]
    chain = "".join(f"[{i}:a]apad=pad_dur=1[a{i}];" for i in range(len(parts)))
    chain += "".join(f"[a{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[out]"
    mp3 = folder / "demo.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            chain,
            "-map",
            "[out]",
            "-ac",
            "1",
            "-b:a",
            "64k",
            str(mp3),
        ],
        check=True,
    )
    for wav in parts:
        wav.unlink()
    return hand_result(tuple(segments), t)


@pytest.fixture(scope="module")
def served_page(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    outputs = tmp_path_factory.mktemp("outputs")
    folder = outputs / "demo"
    folder.mkdir()
    result = synthesize(folder)
    write_vtt(result, folder / "demo.vtt", ExportOptions())
    chapters_vtt = "WEBVTT\n\n" + "\n\n".join(
        f"{ch.index}\n00:00:{ch.start:06.3f} --> 00:00:{ch.end:06.3f}\n{ch.index}. Chapitre" for ch in result.chapters
    )
    (folder / "chapters.vtt").write_text(chapters_vtt + "\n", encoding="utf-8")
    write_session_json(result, folder / "session.json")
    write_session_page(result, folder)
    write_archive_page(outputs)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(RangeHandler, directory=str(outputs)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", result, outputs
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


# Predicates are arrow functions: Playwright compiles those through DevTools, while a bare
# expression would be eval()ed in the page, which the page's Content Security Policy forbids.
def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs, requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=15000)
    return page, dialogs, requests


def test_session_page_in_chromium(served_page, browser, tmp_path):
    base, result, outputs = served_page
    page, dialogs, requests = open_page(browser, f"{base}/demo/index.html")

    # The injected title is text, and nothing ran.
    assert page.inner_text("h1") == EVIL_TITLE
    assert page.title() == EVIL_TITLE
    assert dialogs == []

    # Clicking the third paragraph moves the player to its start.
    paras = page.locator(".para")
    assert paras.count() == 3
    target = float(paras.nth(2).get_attribute("data-start"))
    assert target == pytest.approx(result.segments[2].start, abs=0.01)
    paras.nth(2).click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {target}) < 0.5", timeout=5000
    )
    page.wait_for_selector(".para.current >> nth=0")
    assert page.locator(".para.current").get_attribute("data-start") == paras.nth(2).get_attribute("data-start")
    assert page.locator(".chapter-link.current time").inner_text() == "00:00:" + f"{int(target):02d}"

    # Keyboard: Enter on a focused paragraph seeks too.
    page.evaluate("document.getElementById('player').pause()")
    paras.nth(0).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('player').currentTime < 0.5", timeout=5000)

    # The captions track loads, with voice spans from the named speakers.
    page.wait_for_function(
        "() => { const t = document.querySelector('track[kind=captions]');"
        " return t.readyState === 2 || (t.track.cues && t.track.cues.length > 0); }",
        timeout=10000,
    )
    assert page.evaluate("document.querySelector('track[kind=captions]').track.cues.length") >= 3
    assert page.evaluate("document.querySelector('track[kind=chapters]').src").endswith("/demo/chapters.vtt")

    # In-page search: accent-insensitive, filters paragraphs and marks the word.
    page.fill("#q", "reemploi")
    page.wait_for_function("() => document.querySelectorAll('.para:not([hidden])').length === 1")
    assert page.locator(".para:not([hidden]) mark").inner_text() == "réemploi"
    assert page.inner_text("#count") == "1 paragraphe"
    page.fill("#q", "")
    page.wait_for_function("() => document.querySelectorAll('.para:not([hidden])').length === 3")
    assert page.locator("mark").count() == 0

    # A search hit's page link (#t=SECONDS) lands on the moment.
    page.goto(f"{base}/demo/index.html#t={target}")
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {target}) < 0.1", timeout=5000
    )
    page.wait_for_selector(".para.current")
    assert page.locator(".para.current").get_attribute("data-start") == paras.nth(2).get_attribute("data-start")
    page.goto(f"{base}/demo/index.html#t={int(target)}")  # the index's links are whole seconds
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {int(target)}) < 0.1", timeout=5000
    )

    # Nothing left the machine: every request went to our own server.
    assert requests and all(u.startswith(base) for u in requests)
    shot = Path(os.environ.get("RESTITUTION_SCREENSHOT_DIR", tmp_path)) / "session-page.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()


def test_archive_page_in_chromium(served_page, browser, tmp_path):
    base, _result, _outputs = served_page
    page = browser.new_page(viewport={"width": 1280, "height": 600})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/index.html")
    link = page.locator("a.title")
    assert link.count() == 1 and link.inner_text() == EVIL_TITLE
    page.screenshot(path=str(Path(os.environ.get("RESTITUTION_SCREENSHOT_DIR", tmp_path)) / "archive-page.png"))
    page.fill("#q", "mabileau")
    assert page.locator("tbody tr:not([hidden])").count() == 1 and page.inner_text("#count") == "1 séance"
    page.fill("#q", "personne")
    assert page.locator("tbody tr:not([hidden])").count() == 0
    page.fill("#q", "")
    link.click()
    page.wait_for_url(f"{base}/demo/index.html")
    assert dialogs == []
    page.close()


def test_page_opened_from_disk_still_has_captions(served_page, browser):
    """Chromium will not load a .vtt next to a file:// page; the page then uses its own copy."""
    _base, result, outputs = served_page
    page = browser.new_page()
    page.goto((outputs / "demo" / "index.html").as_uri())
    page.wait_for_function(
        "() => Array.from(document.getElementById('player').textTracks).some(t => t.cues && t.cues.length >= 3)",
        timeout=10000,
    )
    page.evaluate(f"document.getElementById('player').currentTime = {result.segments[1].start + 0.5}")
    page.wait_for_function("() => document.getElementById('caption').textContent.includes('Parlons')", timeout=5000)
    assert page.inner_text("#caption").startswith("Anne <b>Le Gall</b>")
    page.close()
