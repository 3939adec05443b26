"""Safe file writing and safe names: nothing half-written, nothing outside outputs/.

Outputs are published as they are (a web server serves `outputs/`), so a new file gets the
mode the user's umask gives any new file (0644 under the usual 022) and a new folder 0755:
the temporary file is created with mode 0666 and the kernel applies the umask, as for `open()`.
Within `confined(root)`, every write and delete made through this module must resolve inside
`root`: a symlink in an output folder that leads elsewhere is refused, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from .display import decoded
from .errors import OutputError

# Names Windows refuses as files, whatever the extension; archives get copied there.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
# The folder writes must stay in while a `confined` block runs (the session's output folder).
_ROOT: ContextVar[Path | None] = ContextVar("restitution_output_root", default=None)


# Latin letters that NFKD does not decompose into ASCII.
_LATIN_EXTRA = str.maketrans(
    {
        "Œ": "OE",
        "œ": "oe",
        "Æ": "AE",
        "æ": "ae",
        "ß": "ss",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Þ": "Th",
        "þ": "th",
    }
)


def slugify(text: str, max_length: int = 60, fallback: str = "session") -> str:
    """Lowercase words joined by dashes: safe as a file or folder name on any system, never `..`.

    Latin letters lose their accents (`Séance` -> `seance`, as people type them in a URL);
    letters of other scripts are kept (`Засідання` -> `засідання`, `会议` -> `会议`), so two
    names never collapse into the fallback. A name cut to `max_length` ends with a hash of the
    whole text, so long titles that differ only at the end keep distinct slugs.
    """
    words: list[str] = []
    for part in re.split(r"[\W_]+", unicodedata.normalize("NFC", text)):
        if not part:
            continue
        ascii_part = unicodedata.normalize("NFKD", part.translate(_LATIN_EXTRA)).encode("ascii", "ignore").decode()
        latin = all(unicodedata.name(c, "").startswith("LATIN") or c.isdigit() for c in part if c.isalnum())
        # "ﬁ" or "²" decompose into ASCII too; a part with no Latin letter keeps its own script
        chosen = ascii_part if latin and ascii_part else unicodedata.normalize("NFC", part)
        chosen = re.sub(r"[^\w]+", "-", chosen).strip("-_").casefold()
        if chosen:
            words.append(chosen)
    slug = "-".join(words)
    if len(slug) > max_length:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = slug[: max_length - len(digest) - 1].rstrip("-") + "-" + digest
    if not slug or slug in _RESERVED:
        slug = f"{fallback}-{slug}" if slug else fallback
    return slug


def _describe(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (is the output folder writable?)"
    return e.strerror or str(e)


def check_inside(root: Path, path: Path) -> Path:
    """`path` resolved, or an OutputError when it, or a symlink on its way, leads outside `root`."""
    root_resolved = Path(root).resolve()
    candidate = Path(path).absolute()
    resolved = candidate.resolve()
    if resolved == root_resolved or root_resolved in resolved.parents:
        return resolved
    # Name the link that leads out, so the user knows what to remove.
    for step in (*reversed(candidate.parents), candidate):
        if step.is_symlink():
            target = step.resolve()
            if target != root_resolved and root_resolved not in target.parents:
                raise OutputError(
                    f"is a symlink to {target}, outside {root}; refusing to write or delete through it", step
                )
    raise OutputError(f"refusing to write outside {root}", path)


@contextlib.contextmanager
def confined(root: Path) -> Iterator[Path]:
    """Within this block, every write or delete through this module must land inside `root`."""
    resolved = Path(root).resolve()
    token = _ROOT.set(resolved)
    try:
        yield resolved
    finally:
        _ROOT.reset(token)


def _checked(path: Path) -> Path:
    root = _ROOT.get()
    return check_inside(root, path) if root is not None else Path(path)


def remove(path: Path) -> None:
    """Delete `path` if it exists (inside the confinement when one is active)."""
    path = Path(path)
    _checked(path)
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        raise OutputError(f"cannot delete: {_describe(e)}", path) from None


def _temporary(path: Path) -> Path:
    """A new empty file beside `path`, with the mode the umask gives new files."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.part"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    On any failure the temporary file is removed, so readers see the old file or the new
    one, never a partial one.
    """
    path = Path(path)
    _checked(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = _temporary(path)
    except OSError as e:
        raise OutputError(f"cannot write: {_describe(e)}", path) from None
    try:
        yield tmp_path
        _checked(path)  # the folder may have been swapped for a link while the file was written
        os.replace(tmp_path, path)
    except OSError as e:
        tmp_path.unlink(missing_ok=True)
        raise OutputError(f"cannot write: {_describe(e)}", path) from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    if "b" in mode:
        encoding = None
    with atomic_path(path) as tmp:
        try:
            with open(tmp, mode, encoding=encoding, newline="" if encoding else None) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise OutputError(f"cannot write: {_describe(e)}", path) from None


def write_text(path: Path, text: str) -> None:
    with atomic_open(path) as f:
        f.write(decoded(text))  # a file name that was not UTF-8 is written with U+FFFD


def write_json(path: Path, data: Any) -> None:
    # ensure_ascii=False keeps French readable; write_text replaces lone surrogates.
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def inside(root: Path, *parts: str) -> Path:
    """`root / parts`, refusing anything that would land outside `root`."""
    root_resolved = Path(root).resolve()
    candidate = root_resolved.joinpath(*parts).resolve()
    if candidate != root_resolved and root_resolved not in candidate.parents:
        raise OutputError(f"refusing to write outside {root}", "/".join(parts))
    return candidate
