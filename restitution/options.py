"""Options: one frozen dataclass per stage, gathered in `PipelineOptions`.

Loaded from TOML with this precedence: CLI flags > the session's `session.toml` >
`config.toml` > the defaults below. The library never reads argv or the environment;
`load_options` takes already-parsed overrides from the CLI.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .language import code as language_code


@dataclass(frozen=True)
class ASROptions:
    engine: str = "faster-whisper"  # "faster-whisper" | "openai-whisper"
    model: str = "base"  # "base", "tiny.en", a CTranslate2 folder, a .pt file, or a hub name
    device: str = "auto"  # "auto" (CUDA when there is one), "cpu" or "cuda"; never in a cache key
    compute_type: str = "auto"  # "auto": int8 on CPU, float16 on CUDA (faster-whisper); float32/fp16 (openai-whisper)
    beam_size: int = 5  # beam search is worth its cost in French (greedy nearly doubles WER)
    threads: int = 2  # CPU threads for the decoder; 0 means every core
    batch_size: int = 0  # > 0: faster-whisper's BatchedInferencePipeline with this batch size
    vad_filter: bool = True  # Silero VAD before decoding: skips silence, curbs hallucinations
    condition_on_previous_text: bool = False  # False guards against repetition loops on long audio
    temperature_fallback: bool = True  # retry a window at higher temperature when it looks wrong
    # The agenda's names and rare words for the decoder: "off", "prompt" (the first window of each
    # group) or "hotwords" (every window); see naming/spelling.py and the README's measurement.
    agenda_hints: str = "off"


@dataclass(frozen=True)
class DiarizationOptions:
    engine: str = "embedded"  # "embedded" (Silero VAD + speaker embeddings) | "pyannote" | "none"
    num_speakers: int | None = None  # exact count, when known
    min_speakers: int | None = None  # lower bound (the agenda's named speakers raise it)
    max_speakers: int | None = None  # upper bound
    embedding: str = "campplus"  # embedded engine's speaker model: "campplus" (CAM++) | "resemblyzer"
    pyannote_pipeline: str = "pyannote/speaker-diarization-community-1"  # hub name or local folder
    threads: int = 1  # torch threads (0: every core); one beat two for these small models on 2 cores
    device: str = "auto"  # speech map and speaker models: "auto" (CUDA when there is one), "cpu" or "cuda"
    refine: bool = True  # test each named voice's stretches outside its items against its items


@dataclass(frozen=True)
class VoiceOptions:
    library: str = ""  # voiceprint database; "" means <outputs>/voices.sqlite
    enroll: bool = True  # add voices named by the agenda to the library after each run
    threshold: float = 0.75  # cosine similarity above which a known voice is recognised
    min_confidence: float = 0.75  # names less certain are flagged, listed for checking and not enrolled
    respell: bool = True  # rewrite near-miss spellings of agenda names in the transcript
    unnamed_label: str = ""  # "" follows the language: "Intervenant" (fr), "Speaker" (en)


@dataclass(frozen=True)
class OffsetOptions:
    search_min: float = -30.0  # seconds; the estimate is searched within [search_min, search_max]
    search_max: float = 600.0
    min_confidence: float = 0.5  # below it, warn and name the agenda items that disagree
    reference: str = ""  # a reference copy whose timeline matches the agenda ("" = none)


@dataclass(frozen=True)
class ChapterOptions:
    snap_window: float = 10.0  # seconds around the agenda time to look for a pause
    lenient: bool = False  # drop (with a warning) chapters past the end instead of failing


@dataclass(frozen=True)
class ExportOptions:
    mp3_bitrate: str = "128k"
    loudnorm: bool = False  # two-pass EBU R128 normalisation to -16 LUFS (the podcast norm)
    caption_max_chars: int = 42  # per line
    caption_max_lines: int = 2
    caption_max_seconds: float = 7.0
    base_url: str = ""  # where outputs/ is published; used in search links and the feed


@dataclass(frozen=True)
class PipelineOptions:
    language: str = ""  # "fr", "en", ... or "" to detect and report
    offset: str | float = "auto"  # "auto", "none", or seconds the recording started late
    outputs: str = "outputs"  # folder for outputs/<session-id>/
    index: str = ""  # search database; "" means <outputs>/index.sqlite
    asr: ASROptions = field(default_factory=ASROptions)
    diarization: DiarizationOptions = field(default_factory=DiarizationOptions)
    voices: VoiceOptions = field(default_factory=VoiceOptions)
    offset_search: OffsetOptions = field(default_factory=OffsetOptions)
    chapters: ChapterOptions = field(default_factory=ChapterOptions)
    export: ExportOptions = field(default_factory=ExportOptions)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def outputs_dir(self) -> Path:
        return Path(self.outputs)

    @property
    def index_path(self) -> Path:
        return Path(self.index) if self.index else self.outputs_dir / "index.sqlite"

    @property
    def voices_path(self) -> Path:
        return Path(self.voices.library) if self.voices.library else self.outputs_dir / "voices.sqlite"


# Keys of session.toml that describe the session rather than set options.
SESSION_KEYS = {"title", "date", "speakers", "album", "artist", "comment"}


# Every number an option may take: (least, most). A test checks that no numeric option is missing.
DAY = 86400.0
RANGES: dict[str, tuple[float, float]] = {
    "offset": (-DAY, DAY),
    "asr.beam_size": (1, 32),
    "asr.threads": (0, 256),
    "asr.batch_size": (0, 256),
    "diarization.num_speakers": (1, 200),
    "diarization.min_speakers": (1, 200),
    "diarization.max_speakers": (1, 200),
    "diarization.threads": (0, 256),
    "voices.threshold": (0.0, 1.0),
    "voices.min_confidence": (0.0, 1.0),
    "offset_search.search_min": (-DAY, DAY),
    "offset_search.search_max": (-DAY, DAY),
    "offset_search.min_confidence": (0.0, 1.0),
    "chapters.snap_window": (0.0, 600.0),
    "export.caption_max_chars": (10, 200),
    "export.caption_max_lines": (1, 10),
    "export.caption_max_seconds": (1.0, 60.0),
}
NOTES = {"asr.threads": " (0: every core)", "diarization.threads": " (0: every core)"}
PATH_KEYS = (
    "outputs",
    "index",
    "asr.model",
    "diarization.pyannote_pipeline",
    "voices.library",
    "offset_search.reference",
)
TEXT_KEYS = ("voices.unnamed_label", "export.base_url")
DEVICE_KEYS = ("asr.device", "diarization.device")
DEVICES = ("auto", "cpu", "cuda")
_BITRATE = re.compile(r"^([0-9]{1,3})k$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_value(hint: Any, value: Any, key: str, source: str) -> Any:
    """Return `value` converted to `hint`, or raise ConfigError naming the key and file."""
    args = typing.get_args(hint)
    allowed = args if args else (hint,)
    for kind in allowed:
        if kind is type(None) and value is None:
            return value
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:  # an int beyond any float: out of every range anyway
                raise ConfigError(f"'{key}' is out of range ({_shown(value)})", source) from None
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind in (str, bool) and type(value) is kind:
            return value
    names = " or ".join(getattr(k, "__name__", str(k)) for k in allowed if k is not type(None))
    raise ConfigError(f"'{key}' must be {names}, not {type(value).__name__} ({_shown(value)})", source)


def _merge(obj: Any, data: dict[str, Any], source: str, prefix: str = "") -> Any:
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"unknown key {_shown(full)}", source)
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"'{full}' must be a table", source)
            changes[key] = _merge(current, value, source, prefix=f"{full}.")
        else:
            changes[key] = _check_value(hints[key], value, full, source)
    return dataclasses.replace(obj, **changes)


def get(options: PipelineOptions, key: str) -> Any:
    """The value of a dotted key: get(options, "asr.beam_size")."""
    value: Any = options
    for part in key.split("."):
        value = getattr(value, part)
    return value


def _set(options: PipelineOptions, key: str, value: Any) -> PipelineOptions:
    section, _, leaf = key.rpartition(".")
    if not section:
        return dataclasses.replace(options, **{leaf: value})
    inner = dataclasses.replace(getattr(options, section), **{leaf: value})
    return dataclasses.replace(options, **{section: inner})


def _number(value: float) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _check_range(key: str, value: float, source: str) -> None:
    lo, hi = RANGES[key]
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"'{key}' must be a finite number, not {value}", source)
    if not lo <= value <= hi:
        raise ConfigError(
            f"'{key}' must be between {_number(lo)} and {_number(hi)}{NOTES.get(key, '')}, not {_number(value)}", source
        )


def _parse_offset(offset: str | float, source: str) -> str | float:
    if isinstance(offset, float) or offset in ("auto", "none"):
        return offset
    try:
        return float(offset)
    except ValueError:
        raise ConfigError(f'\'offset\' must be "auto", "none" or seconds, not {_shown(offset)}', source) from None


def _validate(options: PipelineOptions, source: str) -> PipelineOptions:
    """Every value in range and well-formed, or a ConfigError naming the key and `source`."""
    options = _set(options, "offset", _parse_offset(options.offset, source))
    try:
        options = _set(options, "language", language_code(options.language))
    except ConfigError as e:
        raise ConfigError(str(e), source) from None
    for key in RANGES:
        value = get(options, key)
        if isinstance(value, (int, float)):
            _check_range(key, value, source)
    for key in ("asr.threads", "diarization.threads"):
        if get(options, key) == 0:
            options = _set(options, key, os.cpu_count() or 1)
    n, lo, hi = options.diarization.num_speakers, options.diarization.min_speakers, options.diarization.max_speakers
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"'diarization.min_speakers' ({lo}) is above 'diarization.max_speakers' ({hi})", source)
    if n is not None and ((lo is not None and n < lo) or (hi is not None and n > hi)):
        raise ConfigError(
            f"'diarization.num_speakers' ({n}) is outside min_speakers..max_speakers ({lo}..{hi})", source
        )
    o = options.offset_search
    if o.search_min >= o.search_max:
        raise ConfigError(
            f"'offset_search.search_min' ({_number(o.search_min)}) must be below 'offset_search.search_max' "
            f"({_number(o.search_max)})",
            source,
        )
    bitrate = _BITRATE.match(options.export.mp3_bitrate)
    if not bitrate or not 8 <= int(bitrate.group(1)) <= 320:
        raise ConfigError(
            f'\'export.mp3_bitrate\' must be kilobits per second from "8k" to "320k" ("128k"), '
            f"not {_shown(options.export.mp3_bitrate)}",
            source,
        )
    for key in DEVICE_KEYS:
        if get(options, key) not in DEVICES:
            raise ConfigError(f'\'{key}\' must be "auto", "cpu" or "cuda", not {_shown(get(options, key))}', source)
    for key in PATH_KEYS:
        if "\x00" in get(options, key):
            raise ConfigError(f"'{key}' holds a NUL character", source)
    if not options.outputs.strip():
        raise ConfigError("'outputs' must name a folder, not \"\"", source)
    for key in TEXT_KEYS:
        if _CONTROL.search(get(options, key)):
            raise ConfigError(f"'{key}' holds a control character ({_shown(get(options, key))})", source)
    return options


MAX_TOML_BYTES = 1 << 20  # a config is a few kilobytes; this keeps /dev/zero from filling memory


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TOML_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError("file not found", path) from None
    except OSError as e:  # a folder, no permission
        raise ConfigError(f"cannot read: {e.strerror or e}", path) from None
    if len(data) > MAX_TOML_BYTES:
        raise ConfigError(f"larger than {MAX_TOML_BYTES >> 20} MB: not a config file", path)
    try:
        return tomllib.loads(data.decode("utf-8-sig"))  # Notepad writes a BOM
    except UnicodeDecodeError:
        raise ConfigError("not valid UTF-8 TOML", path) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path) from None
    except RecursionError:
        raise ConfigError("not valid TOML: arrays or tables nested too deeply", path) from None


def apply(options: PipelineOptions, data: dict[str, Any], source: str) -> PipelineOptions:
    """Overlay a parsed TOML table (or CLI overrides) on `options`."""
    return _validate(_merge(options, data, source), source)


def load_options(
    config: Path | None = None,
    session_toml: dict[str, Any] | None = None,
    session_source: str = "session.toml",
    overrides: dict[str, Any] | None = None,
) -> PipelineOptions:
    """Defaults < config file < session.toml (minus its descriptive keys) < overrides."""
    options = PipelineOptions()
    if config is not None:
        options = apply(options, read_toml(config), str(config))
    if session_toml:
        settings = {k: v for k, v in session_toml.items() if k not in SESSION_KEYS}
        options = apply(options, settings, session_source)
    if overrides:
        options = apply(options, overrides, "command line")
    return options
