"""Safe file writing and safe names: nothing half-written, nothing outside outputs/."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .display import decoded
from .errors import OutputError

# Names Windows refuses as files, whatever the extension; archives get copied there.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}


def slugify(text: str, max_length: int = 60, fallback: str = "session") -> str:
    """ASCII, lowercase, dashes: safe as a file or folder name on any system, never `..`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", ascii_text).strip("-").lower()[:max_length].strip("-")
    if not slug or slug in _RESERVED:
        slug = f"{fallback}-{slug}" if slug else fallback
    return slug


def _describe(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (is the output folder writable?)"
    return e.strerror or str(e)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    On any failure the temporary file is removed, so readers see the old file or the new
    one, never a partial one.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        os.close(fd)
    except OSError as e:
        raise OutputError(f"cannot write: {_describe(e)}", path) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
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
