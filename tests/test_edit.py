"""`restitution edit`: the server's security and the edit page in a real headless Chromium.

The quick tests serve a session made of three espeak-ng sentences (a few seconds of real
speech, encoded by ffmpeg) and its session.json; saving there goes to a recorder standing in
for the corrections core, so what the page posts can be checked exactly. The end-to-end test
with the real pipeline and the real corrections is in test_edit_e2e.py.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from restitution import corrections
from restitution.edit.page import edit_page, session_view
from restitution.edit.save import current, fitted, saver
from restitution.edit.server import EditServer, byte_range
from restitution.export.session_json import write_session_json
from restitution.lock import session_lock
from restitution.options import PipelineOptions
from restitution.types import SessionResult
from tests.test_html import CHROMIUM, CHROMIUM_ARGS, synthesize

LOW = {"réemploi": 0.2, "ateliers": 0.3}  # words made low-confidence in the served session
INSTANT = "ateliers"  # and one the decoder gave no duration, as Whisper often does


def _serve(out_dir: Path, save: Any) -> tuple[EditServer, threading.Thread]:
    server = EditServer(out_dir, "demo.mp3", page=edit_page, view=session_view, save=save)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def _stop(server: EditServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SessionResult]:
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")
    folder = tmp_path_factory.mktemp("outputs") / "demo"
    folder.mkdir()
    result = synthesize(folder)
    segments = tuple(
        dataclasses.replace(
            seg,
            words=tuple(
                dataclasses.replace(
                    w,
                    probability=LOW.get(w.text.strip().strip(".,"), w.probability),
                    end=w.start if w.text.strip() == INSTANT else w.end,
                )
                for w in seg.words
            ),
        )
        for seg in result.segments
    )
    result = dataclasses.replace(result, segments=segments)
    write_session_json(result, folder / "session.json")
    return folder, result


class Recorder:
    """Stands in for the corrections core: keeps what a save received."""

    def __init__(self) -> None:
        self.saves: list[list[dict[str, Any]]] = []

    def __call__(self, edits: list[dict[str, Any]]) -> str:
        self.saves.append(edits)
        return f"saved {len(edits)}"


@pytest.fixture(scope="module")
def served(demo):
    recorder = Recorder()
    server, thread = _serve(demo[0], recorder)
    yield server, recorder
    _stop(server, thread)


def request(
    server: EditServer,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    host: str | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A request as a browser (or an attacker) would send it, with the Host header we choose."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def post_json(server: EditServer, data: Any, origin: str | None = None, **kw: Any) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "Origin": origin or f"http://127.0.0.1:{server.port}"}
    status, _h, body = request(server, f"/{server.token}/save", "POST", headers, json.dumps(data).encode(), **kw)
    return status, json.loads(body)


# --- the server ----------------------------------------------------------------------------


def test_the_token_opens_the_page_and_nothing_else(served, demo):
    server, _ = served
    t = server.token
    assert len(t) >= 32 and server.url == f"http://127.0.0.1:{server.port}/{t}/"
    status, headers, body = request(server, f"/{t}/")
    assert status == 200 and b'src="static/edit.js"' in body
    assert "script-src 'self'" in headers["content-security-policy"] and headers["referrer-policy"] == "no-referrer"
    for path in ("/", "/index.html", "/demo.mp3", "/session.json", f"/{t[:-1]}/", f"/{t}x/session.json", f"/x{t}/"):
        status, _h, body = request(server, path)
        assert status == 403, path
        assert b"token" in body
    # Another server's token (same length, same alphabet) is as wrong as none.
    other = EditServer(demo[0], "demo.mp3", page=edit_page, view=session_view, save=Recorder())
    try:
        assert other.token != t and request(server, f"/{other.token}/")[0] == 403
    finally:
        other.server_close()


def test_the_routes_serve_the_session(served, demo):
    server, _ = served
    folder, result = demo
    t = server.token
    status, headers, body = request(server, f"/{t}/session.json")
    view = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    assert [line["speaker"] for line in view["lines"]] == ["S1", "S2", "S3"]
    assert view["lines"][2]["words"][1] == ["réemploi", pytest.approx(result.segments[2].words[1].start, abs=1e-3),
                                            pytest.approx(result.segments[2].words[1].end, abs=1e-3), 0.2]  # fmt: skip
    for name in ("edit.js", "edit.css", "style.css"):
        status, headers, body = request(server, f"/{t}/static/{name}")
        assert status == 200 and body and headers["x-content-type-options"] == "nosniff"
    assert request(server, f"/{t}/static/session.js")[0] == 404  # the published page's script is not ours
    assert request(server, f"/{t}/static/")[0] == 404
    assert request(server, f"/{t}/save")[0] == 405
    assert request(server, f"/{t}/index.sqlite")[0] == 404


def test_audio_is_served_with_byte_ranges(served, demo):
    server, _ = served
    mp3 = (demo[0] / "demo.mp3").read_bytes()
    t = server.token
    status, headers, body = request(server, f"/{t}/audio.mp3")
    assert status == 200 and body == mp3 and headers["accept-ranges"] == "bytes"
    status, headers, body = request(server, f"/{t}/audio.mp3", headers={"Range": "bytes=100-199"})
    assert status == 206 and body == mp3[100:200] and headers["content-range"] == f"bytes 100-199/{len(mp3)}"
    status, headers, body = request(server, f"/{t}/audio.mp3", headers={"Range": "bytes=-50"})
    assert status == 206 and body == mp3[-50:]
    status, headers, body = request(server, f"/{t}/audio.mp3", headers={"Range": f"bytes={len(mp3) - 10}-"})
    assert status == 206 and body == mp3[-10:]
    assert request(server, f"/{t}/audio.mp3", headers={"Range": f"bytes={len(mp3)}-"})[0] == 416
    status, headers, body = request(server, f"/{t}/audio.mp3", "HEAD")
    assert status == 200 and headers["content-length"] == str(len(mp3)) and body == b""


def test_byte_range_parsing():
    assert byte_range(None, 10) is None and byte_range("bytes=0-", 10) == (0, 9)
    assert byte_range("bytes=2-4", 10) == (2, 4) and byte_range("bytes=5-100", 10) == (5, 9)
    assert byte_range("bytes=-3", 10) == (7, 9) and byte_range("bytes=-30", 10) == (0, 9)
    assert byte_range("bytes=0-1,4-5", 10) is None and byte_range("items=0-1", 10) is None
    for bad in ("bytes=10-", "bytes=5-2", "bytes=-0"):
        with pytest.raises(Exception, match="range"):
            byte_range(bad, 10)


@pytest.mark.parametrize(
    "tail",
    [
        "../session.json", "static/../../demo.mp3", "%2e%2e/session.json", "static/%2e%2e/%2e%2e/etc/passwd",
        "%252e%252e/session.json", "..%2fsession.json", "static/..%5c..%5cdemo.mp3", "/etc/passwd",
        "%2fetc%2fpasswd", "static//etc/passwd", "static/%00edit.js",
    ],
)  # fmt: skip
def test_paths_outside_are_refused(served, tail):
    server, _ = served
    status, _h, body = request(server, f"/{server.token}/{tail}")
    assert status == 403, tail
    assert b"outside" in body


def test_raw_traversal_on_the_wire_is_refused(served):
    """What no client library would send: the request line exactly as written."""
    server, _ = served
    for line in (f"GET /{server.token}/../../etc/passwd HTTP/1.1", "GET /../../etc/passwd HTTP/1.1"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(f"{line}\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 403"), line
        assert b"root:" not in answer


def test_another_host_or_origin_is_refused(served):
    server, recorder = served
    t = server.token
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1", f"127.0.0.2:{server.port}", ""):
        assert request(server, f"/{t}/", host=host)[0] == 403, host
    assert request(server, f"/{t}/", host=f"localhost:{server.port}")[0] == 200
    for origin in (
        "http://evil.example",
        f"http://127.0.0.1:{server.port + 1}",
        "null",
        f"https://127.0.0.1:{server.port}",
    ):
        assert request(server, f"/{t}/session.json", headers={"Origin": origin})[0] == 403, origin
        assert post_json(server, {"edits": [{"kind": "rename", "speaker": "S1", "name": "X"}]}, origin=origin)[0] == 403
    assert request(server, f"/{t}/session.json", headers={"Sec-Fetch-Site": "cross-site"})[0] == 403
    assert request(server, f"/{t}/session.json", headers={"Sec-Fetch-Site": "same-site"})[0] == 403
    assert recorder.saves == []


def test_a_save_must_be_json_from_the_page(served):
    server, recorder = served
    t = server.token
    edit = {"kind": "rename", "speaker": "S1", "name": "X"}
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://127.0.0.1:{server.port}"}
    assert request(server, f"/{t}/save", "POST", form, b"edits=x")[0] == 415
    no_origin = {"Content-Type": "application/json"}
    assert request(server, f"/{t}/save", "POST", no_origin, json.dumps({"edits": [edit]}).encode())[0] == 403
    assert request(server, f"/{t}/session.json", "POST", {**form, "Content-Type": "application/json"}, b"{}")[0] == 405
    assert post_json(server, [edit])[0] == 400
    assert post_json(server, {"edits": "x"})[0] == 400
    status, _h, body = request(server, f"/{t}/save", "POST", {**form, "Content-Type": "application/json"}, b"{not json")
    assert status == 400 and b"not valid JSON" in body
    # Too big is refused on its Content-Length, before a byte of it is read.
    json_headers = {**form, "Content-Type": "application/json", "Content-Length": str(2 << 20)}
    assert request(server, f"/{t}/save", "POST", json_headers)[0] == 413
    assert recorder.saves == []
    assert post_json(server, {"edits": [edit]}) == (200, {"ok": True, "message": "saved 1"})
    assert recorder.saves.pop() == [edit]
    assert post_json(server, {"edits": []}) == (200, {"ok": True, "message": "nothing to save"})
    assert recorder.saves == []


def test_files_that_lead_outside_are_refused(tmp_path, demo):
    folder, _ = demo
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "session.json").write_bytes((folder / "session.json").read_bytes())
    (secret / "demo.mp3").write_bytes(b"ID3 not yours")
    linked = tmp_path / "outputs" / "demo"
    linked.mkdir(parents=True)
    os.symlink(secret / "session.json", linked / "session.json")
    os.symlink(secret / "demo.mp3", linked / "demo.mp3")
    server, thread = _serve(linked, Recorder())
    try:
        for route in ("", "session.json", "audio.mp3"):
            status, _h, body = request(server, f"/{server.token}/{route}")
            assert status == 403 and b"leads outside" in body and b"ID3" not in body, route
    finally:
        _stop(server, thread)
    # A link that stays inside the folder is followed.
    inner = tmp_path / "inner" / "demo"
    inner.mkdir(parents=True)
    shutil.copy(folder / "session.json", inner / "session.json")
    (inner / "real.mp3").write_bytes(b"ID3 ours")
    os.symlink("real.mp3", inner / "demo.mp3")
    server, thread = _serve(inner, Recorder())
    try:
        status, _h, body = request(server, f"/{server.token}/audio.mp3")
        assert status == 200 and body == b"ID3 ours"
    finally:
        _stop(server, thread)


def test_a_save_while_the_session_is_locked_fails_with_one_line(tmp_path, demo):
    folder, result = demo
    out = tmp_path / "outputs" / "demo"
    out.mkdir(parents=True)
    shutil.copy(folder / "session.json", out / "session.json")
    server, thread = _serve(out, saver(result.session, PipelineOptions(), out))
    try:
        with session_lock(out):
            status, answer = post_json(server, {"edits": [{"kind": "rename", "speaker": "S1", "name": "X"}]})
        assert status == 409 and answer["ok"] is False
        assert answer["error"].startswith("not saved: ") and "is being processed by pid" in answer["error"]
        assert "\n" not in answer["error"]
        assert not (out / "corrections.toml").exists()
    finally:
        _stop(server, thread)


# --- the page in Chromium ------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_editor(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=15000)
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=15000)
    return page, errors


def player_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_edit_page_keys_and_what_a_save_posts(served, demo, browser):
    server, recorder = served
    _folder, result = demo
    page, errors = open_editor(browser, server.url)
    lines = page.locator(".line")
    assert lines.count() == 3
    assert page.locator(".chip").all_inner_texts() == [sp.name for sp in result.speakers]
    # Low-confidence words are highlighted, and only those.
    assert page.locator(".w.low").all_inner_texts() == ["ateliers", "réemploi"]

    # Clicking a line plays it.
    lines.nth(1).locator("time").click()
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {result.segments[1].start}) < 0.5"
    )
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Control+Space")  # pause
    page.wait_for_function("() => document.getElementById('player').paused")
    page.keyboard.press("Control+Space")  # play again
    page.wait_for_function("() => !document.getElementById('player').paused")
    page.keyboard.press("Control+Space")
    page.wait_for_function("() => document.getElementById('player').paused")

    # Alt+N walks the low-confidence words in time order, selecting each and seeking to it.
    page.evaluate("document.getElementById('player').currentTime = 0")
    page.keyboard.press("Alt+n")
    assert page.evaluate("window.getSelection().toString()") == "ateliers"
    ateliers = next(w for w in result.segments[1].words if w.text.strip() == "ateliers")
    assert player_time(page) == pytest.approx(ateliers.start, abs=0.05)
    page.keyboard.press("Alt+n")
    assert page.evaluate("window.getSelection().toString()") == "réemploi"
    page.keyboard.press("Alt+p")
    assert page.evaluate("window.getSelection().toString()") == "ateliers"

    # Type the fix over the selected word; Alt+R replays the line being edited.
    page.keyboard.type("intervenants")
    assert page.locator(".line").nth(1).locator(".text").inner_text().endswith("de la journée.")
    page.keyboard.press("Alt+r")
    page.wait_for_function(
        f"() => Math.abs(document.getElementById('player').currentTime - {result.segments[1].start}) < 0.5"
    )
    page.keyboard.press("Control+Space")
    # Alt+Down goes to the next line and plays it; Escape there undoes nothing there.
    page.keyboard.press("Alt+ArrowDown")
    assert page.evaluate("document.activeElement.closest('.line').getAttribute('data-i')") == "2"
    page.keyboard.press("Control+Space")

    # A line given to another voice; a voice renamed; a chapter moved and retitled.
    lines.nth(0).locator("select").select_option("S2")
    page.locator(".chip[data-speaker=S3]").click()
    page.fill("#speaker-name", "Stéphanie Mabileau-Durand")
    page.keyboard.press("Enter")
    assert page.locator(".chip[data-speaker=S3]").inner_text() == "Stéphanie Mabileau-Durand"
    assert lines.nth(2).locator("select option:checked").inner_text() == "Stéphanie Mabileau-Durand"
    start = page.locator(".chapter-edit .start").nth(1)
    start.fill("00:00:01.5")
    page.locator(".chapter-edit .title").nth(1).fill("Atelier réemploi")
    assert page.inner_text("#pending") == "4 changes not saved"

    # A start that is not a time is refused in the page, before anything is posted.
    start.fill("soon")
    page.keyboard.press("Control+s")
    page.wait_for_function("() => document.getElementById('status').classList.contains('error')")
    assert "is not a time" in page.inner_text("#status") and recorder.saves == []
    start.fill("00:00:01.5")

    with page.expect_navigation(timeout=10000):  # a save reloads the page
        page.keyboard.press("Control+s")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#status") == "saved 4" and page.inner_text("#pending") == "no changes"
    gone = next(w for w in result.segments[1].words if w.text.strip() == "ateliers")
    sent = recorder.saves.pop()
    assert sent == [
        {"kind": "words", "start": pytest.approx(gone.start, abs=1e-3), "end": pytest.approx(gone.start + 0.001, abs=1e-3),
         "old": "ateliers", "new": "intervenants"},
        {"kind": "speaker", "start": result.segments[0].start, "end": result.segments[0].end, "speaker": "S2"},
        {"kind": "rename", "speaker": "S3", "name": "Stéphanie Mabileau-Durand"},
        {"kind": "chapter", "index": 2, "title": "Atelier réemploi", "start": 1.5},
    ]  # fmt: skip
    # Each is what the corrections core takes: anchored on the session as published.
    made = [corrections.anchored(current(demo[0]), edit) for edit in sent]
    assert (
        made[0].old == "ateliers" and made[0].before == "Parlons maintenant des" and made[0].after == "de la journée."
    )
    assert [c.kind for c in made] == ["words", "speaker", "rename", "chapter"]
    assert errors == []
    page.close()


def test_edit_page_merges_a_voice_and_inserts_words(served, browser):
    server, recorder = served
    page, errors = open_editor(browser, server.url)
    page.locator(".chip[data-speaker=S2]").click()
    page.select_option("#merge-into", "S1")
    page.click("#merge")
    assert page.locator(".chip").count() == 2
    assert page.locator(".line").nth(1).locator("select").input_value() == "S1"
    text = page.locator(".line").nth(0).locator(".text")
    text.click()
    page.keyboard.press("End")
    page.keyboard.type(" Merci.")
    page.keyboard.press("Escape")  # undo the line: nothing to send for it
    assert page.inner_text("#pending") == "1 change not saved"
    text.click()
    page.keyboard.press("End")
    page.keyboard.type(" Merci.")
    with page.expect_navigation(timeout=10000):
        page.click("#save")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#status") == "saved 2"
    sent = recorder.saves.pop()
    assert sent[1] == {"kind": "merge", "speaker": "S2", "into": "S1"}
    assert sent[0]["kind"] == "words" and sent[0]["old"] == "" and sent[0]["new"] == "Merci."
    assert sent[0]["start"] == sent[0]["end"]
    assert errors == []
    page.close()


def test_a_refused_save_shows_one_line_in_the_page(demo, browser, tmp_path):
    folder, result = demo
    out = tmp_path / "outputs" / "demo"
    out.mkdir(parents=True)
    for name in ("session.json", "demo.mp3"):
        shutil.copy(folder / name, out / name)
    server, thread = _serve(out, saver(result.session, PipelineOptions(), out))
    try:
        page, _errors = open_editor(browser, server.url)
        page.locator(".chip[data-speaker=S1]").click()
        page.fill("#speaker-name", "Quelqu'un")
        page.keyboard.press("Enter")
        with session_lock(out):
            page.keyboard.press("Control+s")
            page.wait_for_function("() => document.getElementById('status').classList.contains('error')", timeout=10000)
        message = page.inner_text("#status")
        assert message.startswith("not saved: ") and "being processed" in message and "\n" not in message
        assert page.inner_text("#pending") == "1 change not saved"  # nothing lost: the edit is still there
        page.close()
    finally:
        _stop(server, thread)


def test_a_word_beside_an_instant_is_fitted_to_what_the_core_reads(demo):
    """ "des" ends where "ateliers", a word of no duration, starts and ends: at the times of
    "des" the core reads both, so the edit carries "ateliers" along, unchanged."""
    folder, result = demo
    published = current(folder)
    des = next(w for w in result.segments[1].words if w.text.strip() == "des")
    edit = {"kind": "words", "start": des.start, "end": des.end, "old": "des", "new": "les"}
    with pytest.raises(corrections.CorrectionsError, match="reload the session"):
        corrections.anchored(published, edit)
    wide = fitted(published, edit)
    assert wide == {**edit, "old": "des ateliers", "new": "les ateliers"}
    assert corrections.anchored(published, wide).old == "des ateliers"
    deleted = fitted(published, {**edit, "new": ""})
    assert deleted["old"] == "des ateliers" and deleted["new"] == "ateliers"
    plain = {"kind": "words", "start": result.segments[0].words[0].start, "end": result.segments[0].words[0].end,
             "old": "Bonjour", "new": "Bonsoir"}  # fmt: skip
    assert fitted(published, plain) is plain


def test_edit_needs_a_session_that_was_run(demo, tmp_path):
    folder = tmp_path / "recordings" / "Pas encore"
    folder.mkdir(parents=True)
    shutil.copy(demo[0] / "demo.mp3", folder / "talk.mp3")
    (folder / "agenda.txt").write_text("- 00:00:00 : Introduction par Romain Delassus\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    cmd = [sys.executable, "-m", "restitution", "edit", str(folder), "--out", str(tmp_path / "outputs")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
    assert "no session.json: run `restitution run" in proc.stderr and "pas-encore" in proc.stderr
    bad = subprocess.run([*cmd, "--low-confidence", "2"], capture_output=True, text=True, timeout=120, env=env)
    assert bad.returncode == 1 and "--low-confidence must be between 0 and 1" in bad.stderr


def test_the_first_chapter_start_is_not_editable(served, browser):
    server, _recorder = served
    page, errors = open_editor(browser, server.url)
    starts = page.locator(".chapter-edit .start")
    assert starts.nth(0).is_disabled() and not starts.nth(1).is_disabled()
    assert errors == []
    page.close()
