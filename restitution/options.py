"""Options: one frozen dataclass per stage, gathered in `PipelineOptions`.

Loaded from TOML with this precedence: CLI flags > the session's `session.toml` >
`config.toml` > the defaults below. The library never reads argv or the environment;
`load_options` takes already-parsed overrides from the CLI.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class ASROptions:
    engine: str = "faster-whisper"  # "faster-whisper" | "openai-whisper"
    model: str = "base"  # "base", "tiny.en", a CTranslate2 folder, a .pt file, or a hub name
    compute_type: str = "auto"  # "auto" = the engine's best: int8 for faster-whisper, float32 for openai-whisper
    beam_size: int = 5  # beam search is worth its cost in French (greedy nearly doubles WER)
    threads: int = 2  # CPU threads for the decoder
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
    threads: int = 1  # torch threads; one beat two for these small models on 2 cores
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


def _check_value(hint: Any, value: Any, key: str, source: str) -> Any:
    """Return `value` converted to `hint`, or raise ConfigError naming the key and file."""
    args = typing.get_args(hint)
    allowed = args if args else (hint,)
    for kind in allowed:
        if kind is type(None) and value is None:
            return value
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind in (str, bool) and type(value) is kind:
            return value
    names = " or ".join(getattr(k, "__name__", str(k)) for k in allowed if k is not type(None))
    raise ConfigError(f"'{key}' must be {names}, not {type(value).__name__} ({value!r})", source)


def _merge(obj: Any, data: dict[str, Any], source: str, prefix: str = "") -> Any:
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"unknown key '{full}'", source)
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"'{full}' must be a table", source)
            changes[key] = _merge(current, value, source, prefix=f"{full}.")
        else:
            changes[key] = _check_value(hints[key], value, full, source)
    return dataclasses.replace(obj, **changes)


def _validate(options: PipelineOptions, source: str) -> PipelineOptions:
    offset = options.offset
    if isinstance(offset, str) and offset not in ("auto", "none"):
        try:
            offset = float(offset)
        except ValueError:
            raise ConfigError(f"'offset' must be \"auto\", \"none\" or seconds, not {offset!r}", source) from None
        options = dataclasses.replace(options, offset=offset)
    if options.asr.beam_size < 1:
        raise ConfigError("'asr.beam_size' must be at least 1", source)
    if options.asr.threads < 1:
        raise ConfigError("'asr.threads' must be at least 1", source)
    return options


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("file not found", path) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", path) from None
    except UnicodeDecodeError:
        raise ConfigError("not valid UTF-8 TOML", path) from None


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


def stage_options(options: PipelineOptions, name: str) -> dict[str, Any]:
    """The options one stage depends on, as a plain dict for cache keys and the record."""
    value = getattr(options, name)
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else {name: value}
