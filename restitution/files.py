"""Safe file writing and safe names: nothing half-written, nothing outside outputs/."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import OutputError

# Names Windows refuses as files, whatever the extension; archives get copied there.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}


# Latin letters that NFKD does not decompose into ASCII.
_LATIN_EXTRA = str.maketrans(
    {"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Þ": "Th", "þ": "th"}
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
        f.write(text)


def write_json(path: Path, data: Any) -> None:
    # ensure_ascii=False keeps French readable; json escapes lone surrogates itself.
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def inside(root: Path, *parts: str) -> Path:
    """`root / parts`, refusing anything that would land outside `root`."""
    root_resolved = Path(root).resolve()
    candidate = root_resolved.joinpath(*parts).resolve()
    if candidate != root_resolved and root_resolved not in candidate.parents:
        raise OutputError(f"refusing to write outside {root}", "/".join(parts))
    return candidate
