"""The editor's web server: one session, on 127.0.0.1, behind a per-run token.

What it serves is a fixed table of routes under `/<token>/`, never a path looked up on disk:
the edit page, its own script and styles (package data), the session's MP3 (with byte ranges,
so the player can seek), `session.json` and the save endpoint. So no request can reach another
file, whatever it spells (`..`, `%2e%2e`, `//etc/passwd`); those are refused outright anyway, to
say so plainly. The two files it reads from the outputs must resolve inside the session's folder:
a `session.json` or MP3 that is a symlink leading elsewhere is refused.

Every request needs the token (compared in constant time); a request whose Host is not this
server's (DNS rebinding: a page on evil.example whose name now points at 127.0.0.1) or whose
Origin is another site's (a page in another tab posting to us) is refused with 403 before
anything else is looked at. A save must come from the page itself: an Origin of this server
and a JSON body, which no plain HTML form can send.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import RestitutionError
from ..lock import SessionLocked

log = logging.getLogger("restitution")

MAX_BODY = 1 << 20  # a save is a list of small edits; a megabyte is thousands of them
CHUNK = 1 << 16
STATIC = {
    "edit.js": "text/javascript; charset=utf-8",
    "edit.css": "text/css; charset=utf-8",
}
# Nothing from elsewhere, no framing, no inline script: the page only talks to this server.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; media-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

SaveFn = Callable[[list[dict[str, Any]]], str]


def static_text(name: str) -> str:
    if name == "style.css":  # the published page's own look, shared
        return resources.files("restitution.export").joinpath("templates", name).read_text(encoding="utf-8")
    return resources.files("restitution.edit").joinpath("static", name).read_text(encoding="utf-8")


class SavedNotPublished(RestitutionError):
    """A save stored its corrections but could not republish: the page must not send them again."""


class Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status = status


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range of `Range: bytes=a-b` (inclusive ends) within `size`, or None for the whole
    file; a range that cannot be satisfied raises Refused(416). Several ranges get the whole file,
    which RFC 9110 allows and every player handles."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or not (m.group(1) or m.group(2)):
        return None
    first, last = m.group(1), m.group(2)
    if not first:  # the last N bytes
        n = int(last)
        if n == 0:
            raise Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "empty suffix range")
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise Refused(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range outside the file")
    return start, end


class EditServer(ThreadingHTTPServer):
    """Serves one session's edit page. `page(session_json)` returns its HTML, `view(session_json)`
    the JSON the page's script reads; `save(edits)` stores the edits and republishes, returning a
    one-line message, or raises RestitutionError."""

    daemon_threads = True

    def __init__(
        self,
        out_dir: Path,
        audio_name: str,
        page: Callable[[Path], str],
        view: Callable[[Path], dict[str, Any]],
        save: SaveFn,
        port: int = 0,
        token: str | None = None,
    ):
        self.out_dir = Path(out_dir).resolve()
        self.audio_name = audio_name
        self.page = page
        self.view = view
        self.save = save
        self.token = token or secrets.token_urlsafe(24)
        self.save_lock = threading.Lock()  # one save at a time in this process; the session lock does the rest
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.token}/"

    def hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def origins(self) -> set[str]:
        return {f"http://{h}" for h in self.hosts()}

    def inside(self, name: str) -> Path:
        """A file of the session's folder, refused if it (or a link on the way) leads elsewhere."""
        path = (self.out_dir / name).resolve()
        if path.parent != self.out_dir:
            raise Refused(HTTPStatus.FORBIDDEN, f"{name} leads outside the session's folder")
        if not path.is_file():
            raise Refused(HTTPStatus.NOT_FOUND, f"{name} is not in the session's folder")
        return path


class Handler(BaseHTTPRequestHandler):
    server: EditServer
    protocol_version = "HTTP/1.1"
    server_version = "restitution-edit"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        log.debug("edit server: " + format, *args)  # the token is in every path: never at INFO

    # --- routing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_POST(self) -> None:
        try:
            route = self._route()
            if route != "save":
                raise Refused(HTTPStatus.METHOD_NOT_ALLOWED, "only the save endpoint takes a POST")
            if self.headers.get("Origin") not in self.server.origins():
                raise Refused(HTTPStatus.FORBIDDEN, "a save must come from the edit page")
            if (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
                raise Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "a save is a JSON body")
            self._save(self._body())
        except Refused as e:
            self._refuse(e)

    def _handle(self, head: bool) -> None:
        try:
            route = self._route()
            if route == "":
                page = self.server.page(self.server.inside("session.json"))
                self._send_bytes(page.encode("utf-8"), "text/html; charset=utf-8", head)
            elif route.startswith("static/") and route[7:] in (*STATIC, "style.css"):
                name = route[7:]
                self._send_bytes(static_text(name).encode("utf-8"), STATIC.get(name, "text/css; charset=utf-8"), head)
            elif route == "session.json":
                view = self.server.view(self.server.inside("session.json"))
                self._send_bytes(json.dumps(view, ensure_ascii=False).encode("utf-8"), "application/json", head)
            elif route == "audio.mp3":
                self._send_file(self.server.inside(self.server.audio_name), "audio/mpeg", head)
            elif route == "save":
                raise Refused(HTTPStatus.METHOD_NOT_ALLOWED, "the save endpoint takes a POST")
            else:
                raise Refused(HTTPStatus.NOT_FOUND, "no such page")
        except Refused as e:
            self._refuse(e, head)

    def _route(self) -> str:
        """The path after `/<token>/`, once Host, Origin, token and path are all checked."""
        host = self.headers.get("Host")
        if host not in self.server.hosts():
            raise Refused(HTTPStatus.FORBIDDEN, "wrong Host: this server only answers as 127.0.0.1")
        origin = self.headers.get("Origin")
        if origin is not None and origin not in self.server.origins():
            raise Refused(HTTPStatus.FORBIDDEN, "requests from another origin are refused")
        if (self.headers.get("Sec-Fetch-Site") or "same-origin") not in ("same-origin", "none"):
            raise Refused(HTTPStatus.FORBIDDEN, "requests from another site are refused")
        raw = urlsplit(self.path).path
        decoded = unquote(unquote(raw))  # decoded twice: `%252e` must not slip through either
        parts = decoded.split("/")
        if not raw.startswith("/") or "\\" in decoded or "\x00" in decoded or ".." in parts or "//" in decoded:
            raise Refused(HTTPStatus.FORBIDDEN, "this path leads outside the editor")
        token, _, rest = raw[1:].partition("/")
        if not secrets.compare_digest(token.encode("utf-8", "replace"), self.server.token.encode("utf-8")):
            raise Refused(HTTPStatus.FORBIDDEN, "missing or wrong token: use the address `restitution edit` printed")
        if raw == f"/{token}":
            raise Refused(HTTPStatus.NOT_FOUND, "the editor is at the address ending with /")
        return unquote(rest)

    # --- responses -------------------------------------------------------------------------

    def _headers(self, status: HTTPStatus, content_type: str, length: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")  # the token is in the address
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def _send_bytes(self, data: bytes, content_type: str, head: bool = False) -> None:
        self._headers(HTTPStatus.OK, content_type, len(data))
        if not head:
            self.wfile.write(data)

    def _send_file(self, path: Path, content_type: str, head: bool) -> None:
        size = path.stat().st_size
        span = byte_range(self.headers.get("Range"), size)
        start, end = span or (0, size - 1)
        length = max(0, end - start + 1)
        extra = {"Accept-Ranges": "bytes"}
        if span:
            extra["Content-Range"] = f"bytes {start}-{end}/{size}"
        self._headers(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK, content_type, length, extra)
        if head:
            return
        with open(path, "rb") as f, contextlib.suppress(BrokenPipeError, ConnectionResetError):
            f.seek(start)
            while length > 0:  # the player often hangs up mid-file when it seeks: not an error
                block = f.read(min(CHUNK, length))
                if not block:
                    break
                self.wfile.write(block)
                length -= len(block)

    def _send_json(self, status: HTTPStatus, data: dict[str, Any]) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._headers(status, "application/json", len(body))
        self.wfile.write(body)

    def _refuse(self, e: Refused, head: bool = False) -> None:
        body = json.dumps({"ok": False, "error": str(e)}, ensure_ascii=False).encode("utf-8")
        extra = {"Connection": "close"}
        self.close_connection = True  # a refused request's body (if any) is never read
        self._headers(e.status, "application/json", len(body), extra)
        if not head:
            self.wfile.write(body)

    # --- saving ------------------------------------------------------------------------------

    def _body(self) -> list[dict[str, Any]]:
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            raise Refused(HTTPStatus.LENGTH_REQUIRED, "a save needs a Content-Length") from None
        if length < 0 or length > MAX_BODY:
            raise Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a save is at most {MAX_BODY} bytes")
        try:
            data = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refused(HTTPStatus.BAD_REQUEST, "the save is not valid JSON") from None
        edits = data.get("edits") if isinstance(data, dict) else None
        if not isinstance(edits, list) or not all(isinstance(e, dict) for e in edits):
            raise Refused(HTTPStatus.BAD_REQUEST, 'a save is {"edits": [{"kind": ...}, ...]}')
        return edits

    def _save(self, edits: list[dict[str, Any]]) -> None:
        if not edits:
            self._send_json(HTTPStatus.OK, {"ok": True, "message": "nothing to save"})
            return
        if not self.server.save_lock.acquire(blocking=False):
            raise Refused(HTTPStatus.CONFLICT, "another save is in progress; try again in a moment")
        try:
            message = self.server.save(edits)
        except SessionLocked as e:
            self._send_json(HTTPStatus.CONFLICT, {"ok": False, "error": f"not saved: {e}"})
        except SavedNotPublished as e:
            self._send_json(HTTPStatus.OK, {"ok": False, "saved": True, "error": str(e)})
        except RestitutionError as e:
            self._send_json(HTTPStatus.UNPROCESSABLE_ENTITY, {"ok": False, "error": str(e)})
        except Exception as e:  # a bug must reach the page as one line, and the log in full
            log.exception("edit server: saving failed")
            self._send_json(HTTPStatus.INTERNAL_SERVER_ERROR, {"ok": False, "error": f"saving failed: {e!r}"})
        else:
            self._send_json(HTTPStatus.OK, {"ok": True, "message": message})
        finally:
            self.server.save_lock.release()
