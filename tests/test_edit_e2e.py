"""`restitution edit` end to end: a session made by the real pipeline (espeak-ng speech, Whisper,
diarization), the real `restitution edit` command in its own process, the page in Chromium,
a save through the real corrections; then every output, the feed and the search index follow,
and a rerun from the transcription keeps the corrections.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from tests.test_html import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.slow

SID = "seance-a-corriger"
WORD, NAME, TITLE = "Zorglub", "Zéphyrine Quenouille", "Méthode corrigée"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-m", "restitution", *args], cwd=cwd, capture_output=True, text=True, timeout=900, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def session(synth_session, tmp_path_factory) -> tuple[Path, Path]:
    """(the session folder, its outputs folder) after one real run."""
    work = tmp_path_factory.mktemp("edit-e2e")
    folder = work / "Séance à corriger"
    folder.mkdir()
    shutil.copy(synth_session.recording, folder / synth_session.recording.name)
    shutil.copy(synth_session.agenda, folder / "agenda.txt")
    (folder / "session.toml").write_text('title = "Séance à corriger"\ndate = "2026-05-12"\nlanguage = "fr"\n')
    run_cli("run", str(folder), "--out", "outputs", cwd=work)
    return folder, work / "outputs" / SID


@pytest.fixture(scope="module")
def editor(session):
    """`restitution edit` in its own process; yields its URL, then stops it with Ctrl-C."""
    folder, out = session
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "restitution", "edit", str(folder), "--out", "outputs"],
        cwd=folder.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A shell without job control (CI's background jobs, nohup) starts children with Ctrl-C
        # ignored, and Python then never raises KeyboardInterrupt: give the editor a terminal's.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = proc.stdout.readline()
        m = re.match(rf"editing {SID} at (http://127\.0\.0\.1:(\d+)/([A-Za-z0-9_-]+)/)$", first.strip())
        assert m, first
        yield m.group(1), int(m.group(2)), m.group(3), proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def test_the_real_editor_refuses_what_is_not_its_page(editor, session):
    url, port, token, _proc = editor
    assert get(port, f"/{token}/") == 200 and get(port, f"/{token}/audio.mp3") == 200
    assert get(port, "/") == 403  # no token
    assert get(port, f"/{'x' * len(token)}/session.json") == 403  # a wrong one
    assert get(port, f"/{token}/session.json", {"Origin": "http://evil.example"}) == 403
    assert get(port, f"/{token}/session.json", {"Host": "evil.example"}) == 403
    assert get(port, f"/{token}/%2e%2e/%2e%2e/agenda.txt") == 403
    assert get(port, f"/{token}/.work/transcribe.json") == 404


def _chapter_frames(mp3: Path) -> list[tuple[str, int]]:
    tags = ID3(mp3)
    frames = sorted(tags.getall("CHAP"), key=lambda f: f.start_time)
    return [(str(f.sub_frames["TIT2"].text[0]), f.start_time) for f in frames]


def test_edit_in_the_page_then_every_output_follows(editor, session):
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    url, _port, _token, proc = editor
    folder, out = session
    before = json.loads((out / "session.json").read_text(encoding="utf-8"))
    assert len(before["chapters"]) >= 3
    ch2, ch3 = before["chapters"][1], before["chapters"][2]

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=30000)

        # Type a word: the second word of the first line becomes WORD.
        line = page.locator(".line").first
        speaker = line.locator("select").input_value()
        target = line.locator(".w").nth(1)
        replaced = target.inner_text()
        target.evaluate(
            "w => { const r = document.createRange(); r.selectNodeContents(w); const s = window.getSelection();"
            " w.closest('.text').focus(); s.removeAllRanges(); s.addRange(r); }"
        )
        page.keyboard.type(WORD)
        assert WORD in line.locator(".text").inner_text()

        # Rename the voice of that line.
        page.locator(f".chip[data-speaker={speaker}]").click()
        page.fill("#speaker-name", NAME)
        page.keyboard.press("Enter")

        # Retitle chapter 2 and move its start to halfway into it.
        moved_to = round((ch2["start"] + ch3["start"]) / 2, 1)
        page.locator(".chapter-edit .title").nth(1).fill(TITLE)
        page.locator(".chapter-edit .start").nth(1).fill(str(moved_to))
        assert page.inner_text("#pending") == "3 changes not saved"

        with page.expect_navigation(timeout=300000):  # the page reloads once republished
            page.keyboard.press("Control+s")
        page.wait_for_selector("body[data-ready=true]", timeout=30000)
        assert "3 corrections" in page.inner_text("#status"), page.inner_text("#status")
        # The page reloaded with the new text.
        assert WORD in page.locator(".line").first.locator(".text").inner_text()
        assert page.locator(f".chip[data-speaker={speaker}]").inner_text() == NAME
        assert page.locator(".chapter-edit .title").nth(1).input_value() == TITLE
        assert errors == []
        browser.close()

    after = json.loads((out / "session.json").read_text(encoding="utf-8"))
    new_start = after["chapters"][1]["start"]
    assert abs(new_start - moved_to) <= 2.5 and abs(new_start - ch2["start"]) > 1.0
    assert after["chapters"][1]["title"] == TITLE
    assert [n["kind"] for n in after["corrections"]["applied"]] == ["words", "rename", "chapter"]
    assert after["corrections"]["unplaced"] == []
    toml = (out / "corrections.toml").read_text(encoding="utf-8")
    assert toml.count("[[correction]]") == 3 and WORD in toml and replaced.strip(",.;:!?") in toml

    vtt = (out / f"{SID}.vtt").read_text(encoding="utf-8")
    srt = (out / f"{SID}.srt").read_text(encoding="utf-8")
    assert WORD in vtt and f"<v {NAME}>" in vtt
    assert WORD in srt and ("Zéphyrine" in srt)
    chapter_vtts = sorted((out / "chapters").glob("*.vtt"))
    assert any(WORD in p.read_text(encoding="utf-8") for p in chapter_vtts)
    assert any(re.match(r"02-methode-corrigee\.(mp3|vtt)$", p.name) for p in (out / "chapters").iterdir())
    frames = _chapter_frames(out / f"{SID}.mp3")
    assert frames[1][0] == TITLE and abs(frames[1][1] / 1000 - new_start) < 0.01
    page_html = (out / "index.html").read_text(encoding="utf-8")
    assert WORD in page_html and NAME in page_html and TITLE in page_html
    for name in ("transcript.txt", "transcript.json", "chapters.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert (TITLE if name == "chapters.json" else WORD) in text, name

    work = folder.parent
    run_cli("feed", "--base-url", "https://media.example.org/a", "--out", "outputs", cwd=work)
    feed = (work / "outputs" / "feed.xml").read_text(encoding="utf-8")
    assert NAME in feed and TITLE in feed
    hits = json.loads(run_cli("search", WORD.lower(), "--json", "--index", "outputs/index.sqlite", cwd=work).stdout)
    assert len(hits) == 1 and hits[0]["session_id"] == SID and hits[0]["speaker"] == NAME

    # The editor is still serving, and stops with one line on Ctrl-C.
    proc.send_signal(signal.SIGINT)
    stdout, _stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0 and stdout.strip().splitlines()[-1] == "editor stopped"

    # A rerun that transcribes again with the same options hears the same words (the
    # temperature fallback's sampling is seeded), so every correction is placed again.
    run_cli("run", str(folder), "--out", "outputs", "--force-from", "transcribe", cwd=work)
    again = json.loads((out / "session.json").read_text(encoding="utf-8"))
    assert again["chapters"][1]["title"] == TITLE and again["chapters"][1]["start"] == pytest.approx(new_start, abs=0.5)
    assert NAME in [sp["name"] for sp in again["speakers"]]
    notes = again["corrections"]
    assert notes["unplaced"] == []
    assert sorted(n["number"] for n in notes["applied"]) == [1, 2, 3]
    assert WORD in (out / f"{SID}.vtt").read_text(encoding="utf-8")
    assert (out / "corrections.toml").read_text(encoding="utf-8") == toml  # nothing dropped from the file
