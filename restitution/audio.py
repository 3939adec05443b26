"""Probe, fingerprint and decode recordings with ffmpeg, streaming: never the whole source in memory.

Every stage downstream reads the same thing: 16 kHz mono float32 little-endian samples in a
raw file, opened as a read-only memmap. Bad inputs end here, in one `AudioError` line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from .errors import AudioError
from .files import atomic_path
from .types import AudioInfo, Hook

SAMPLE_RATE = 16000
_BYTES_PER_SAMPLE = 4
_CHUNK = 1 << 20  # 1 MiB: about 16 s of decoded audio per read
# A decode may fall short of the probed duration by this much before we call the file truncated:
# codec priming and padding cost a few tens of milliseconds, never seconds.
_SHORT_TOLERANCE = 0.5  # seconds
_SHORT_FRACTION = 0.02

# Signatures of containers ffmpeg reads. A file that starts like one of these but that ffprobe
# cannot open is damaged; anything else is simply not audio.
_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"ID3"),
    (0, b"RIFF"),
    (0, b"RF64"),
    (0, b"fLaC"),
    (0, b"OggS"),
    (0, b"FORM"),
    (0, b"\x1a\x45\xdf\xa3"),
    (0, b"#!AMR"),
    (0, b"MAC "),
    (0, b"wvpk"),
    (0, b"caff"),
    (0, b"\x30\x26\xb2\x75"),
    (4, b"ftyp"),
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"free"),
    (4, b"wide"),
)

log = logging.getLogger("restitution")

# The decode stage's algorithm: bump it when the decoded samples change (rate, channels,
# filters), and every session decodes again, then reruns what follows.
DECODE_VERSION = 1

# Flags every run takes: no reading of our stdin, no banner or progress chatter in stderr.
_QUIET = {"ffmpeg": ("-nostdin", "-hide_banner", "-nostats"), "ffprobe": ("-hide_banner",)}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise AudioError(f"{name} not found: install ffmpeg (apt-get install ffmpeg)")
    return found


def url(path: Path) -> str:
    """How a file is named to ffmpeg: the file: protocol takes the rest literally, so a leading
    dash, a colon, or any character in the name is never read as an option or another protocol."""
    return "file:" + os.path.abspath(path)


def command(args: Sequence[str], tool: str = "ffmpeg") -> list[str]:
    """The full command line of one ffmpeg (or ffprobe) run; name files in `args` with `url`."""
    return [_tool(tool), *_QUIET[tool], *args]


def run_tool(args: Sequence[str], tool: str = "ffmpeg") -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg (or ffprobe) to the end, stdout and stderr captured; the caller reads the return code."""
    return subprocess.run(command(args, tool), capture_output=True, check=False)


def ffmpeg(args: Sequence[str], path: Path, what: str, tool: str = "ffmpeg") -> tuple[bytes, str]:
    """Run ffmpeg over `path`; (stdout, stderr), or an AudioError "<what> failed: <reason>" naming `path`."""
    run = run_tool(args, tool)
    stderr = run.stderr.decode("utf-8", "replace")
    if run.returncode != 0:
        raise AudioError(f"{what} failed: {_reason(stderr, path)}", path)
    return run.stdout, stderr


def _check_file(path: Path) -> int:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AudioError("file not found", path) from None
    except OSError as e:
        raise AudioError(f"cannot read: {e.strerror}", path) from None
    if path.is_dir():
        raise AudioError("is a directory, not an audio file", path)
    if st.st_size == 0:
        raise AudioError("empty file (0 bytes)", path)
    if not os.access(path, os.R_OK):
        raise AudioError("cannot read: permission denied", path)
    return st.st_size


def _looks_like_media(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(16)
    if any(head[offset : offset + len(magic)] == magic for offset, magic in _MAGIC):
        return True
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0  # MPEG/AAC frame sync


def _reason(stderr: str, path: Path) -> str:
    """ffmpeg's most specific complaint, without its "[demuxer @ 0x...]" or file-name prefixes."""
    name = url(path) + ": "
    reasons = []
    for line in stderr.splitlines():
        line = re.sub(r"^\[[^]]*@ 0x[0-9a-f]+\]\s*", "", line.strip())
        generic = line.startswith(name)
        line = line.removeprefix(name).strip()
        if line:
            reasons.append((generic, line))
    # The file-level line ("Invalid data found ...") is the least specific: prefer the demuxer's.
    reasons.sort(key=lambda r: r[0])
    return reasons[0][1] if reasons else "ffmpeg failed"


def _wav_missing_bytes(path: Path, size: int) -> int:
    """How many bytes of sample data a WAV header promises beyond the end of the file.

    ffmpeg silently trusts the file size instead, so a cut WAV would pass as a short recording.
    """
    with open(path, "rb") as f:
        if f.read(12)[8:12] != b"WAVE":
            return 0
        while len(header := f.read(8)) == 8:
            chunk_id, chunk_size = header[:4], int.from_bytes(header[4:], "little")
            if chunk_id == b"data":
                # 0 and 0xFFFFFFFF mean "size not written": an unfinished but readable recording.
                if chunk_size in (0, 0xFFFFFFFF):
                    return 0
                return max(0, f.tell() + chunk_size - size)
            f.seek(chunk_size + (chunk_size & 1), os.SEEK_CUR)
    return 0


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _packet_duration(path: Path) -> float:
    """Sum the first audio stream's packet durations: exact, and only demuxes (no decoding)."""
    cmd = command(
        ["-v", "error", "-select_streams", "a:0", "-show_entries", "packet=duration_time", "-of", "csv=p=0", url(path)],
        "ffprobe",
    )
    total = 0.0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            value = line.strip().rstrip(",")
            if value and value != "N/A":
                total += float(value)
    return total


# Sample rates a recording can have: telephone audio is 8 kHz, studio masters reach 768 kHz; a
# header outside this range is damaged, and would make ffmpeg read a minute as days or as nothing.
MIN_RATE, MAX_RATE = 1000, 768_000


def probe(path: Path) -> AudioInfo:
    """What the recording holds; raises AudioError naming the file when it holds no usable audio."""
    path = Path(path)
    size = _check_file(path)
    result = run_tool(["-v", "warning", "-print_format", "json", "-show_format", "-show_streams", url(path)], "ffprobe")
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        if _looks_like_media(path):
            raise AudioError(f"corrupt or truncated audio: {_reason(stderr, path)}", path)
        raise AudioError("no audio stream (not an audio or video file?)", path)
    data = json.loads(result.stdout.decode("utf-8", "replace") or "{}")
    streams = data.get("streams", [])
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio:
        raise AudioError("no audio stream (not an audio or video file?)", path)
    stream = audio[0]
    rate = _float(stream.get("sample_rate")) or 0.0
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioError(
            f"sample rate {rate:,.0f} Hz is not a recording's ({MIN_RATE:,} to {MAX_RATE:,} Hz): a damaged header?",
            path,
        )
    has_video = any(
        s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic") for s in streams
    )
    duration = _float(stream.get("duration")) or _float(data.get("format", {}).get("duration"))
    if duration is None or "Estimating duration from bitrate" in stderr:
        # A bitrate estimate can be off by a fifth on VBR files; count the packets instead.
        duration = _packet_duration(path)
    if duration <= 0:
        raise AudioError("no audio (duration 0 s)", path)
    if "wav" in data.get("format", {}).get("format_name", "") and (missing := _wav_missing_bytes(path, size)):
        raise AudioError(f"corrupt or truncated audio: {missing} bytes of samples missing", path)
    return AudioInfo(
        path=path,
        duration=duration,
        sha256=sha256(path),
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
        codec=str(stream.get("codec_name", "")),
        has_video=has_video,
    )


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _decode_args(path: Path) -> list[str]:
    return [
        "-v",
        "error",
        "-i",
        url(path),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-ac",
        "1",
        "-ar",
        str(SAMPLE_RATE),
        "-f",
        "f32le",
        "-acodec",
        "pcm_f32le",
        "pipe:1",
    ]


def _check_decoded(path: Path, info: AudioInfo, samples: int, returncode: int, stderr: str) -> None:
    decoded = samples / SAMPLE_RATE
    if returncode != 0:
        raise AudioError(f"corrupt or truncated audio: {_reason(stderr, path)}", path)
    if samples == 0:
        raise AudioError("no audio samples", path)
    if decoded < info.duration - max(_SHORT_TOLERANCE, _SHORT_FRACTION * info.duration):
        raise AudioError(f"corrupt or truncated audio: decoded {decoded:.1f} s of {info.duration:.1f} s", path)
    if stderr.strip():
        log.warning("%s: ffmpeg reported while decoding: %s", path, _reason(stderr, path))


def decode(path: Path, dest: Path, info: AudioInfo | None = None, hook: Hook | None = None) -> Path:
    """Decode to 16 kHz mono float32 raw samples at `dest`, atomically; returns `dest`."""
    path, dest = Path(path), Path(dest)
    info = info or probe(path)
    # A bad recording must leave nothing under outputs/, not even the folders made for it.
    created = [folder for folder in Path(os.path.abspath(dest)).parents if not folder.exists()]
    try:
        with tempfile.TemporaryFile() as err, atomic_path(dest) as tmp:
            nbytes, returncode = _stream(path, tmp, err, info.duration, hook)
            _check_decoded(path, info, nbytes // _BYTES_PER_SAMPLE, returncode, _read_err(err))
    except BaseException:
        for folder in created:  # innermost first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    if hook is not None:
        hook("decode", dest, completed=info.duration, total=info.duration)
    return dest


def _read_err(err: IO[bytes]) -> str:
    err.seek(0)
    return err.read().decode("utf-8", "replace")


def _stream(path: Path, tmp: Path, err: IO[bytes], total: float, hook: Hook | None) -> tuple[int, int]:
    # stderr goes to a file, not a pipe: a corrupt stream can log more than a pipe holds,
    # and ffmpeg would block on it while we block on stdout.
    written = 0
    with (
        open(tmp, "wb") as out,
        subprocess.Popen(command(_decode_args(path)), stdout=subprocess.PIPE, stderr=err) as proc,
    ):
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(_CHUNK):
                out.write(chunk)
                written += len(chunk)
                if hook is not None:
                    done = written / _BYTES_PER_SAMPLE / SAMPLE_RATE
                    hook("decode", completed=min(done, total), total=total)
        except BaseException:
            proc.kill()
            raise
        returncode = proc.wait()
        out.flush()
        os.fsync(out.fileno())
    return written, returncode


def load(raw: Path) -> np.memmap:
    """The decoded samples of `raw` as a read-only float32 memmap (nothing read until used)."""
    raw = Path(raw)
    try:
        size = raw.stat().st_size
    except FileNotFoundError:
        raise AudioError("decoded audio not found", raw) from None
    if size < _BYTES_PER_SAMPLE:
        raise AudioError("no audio samples", raw)
    return np.memmap(raw, dtype="<f4", mode="r", shape=(size // _BYTES_PER_SAMPLE,))


def read(path: Path) -> np.ndarray:
    """Probe and decode a short file straight into memory: for tests and reference clips."""
    path = Path(path)
    info = probe(path)
    result = run_tool(_decode_args(path))
    samples = np.frombuffer(result.stdout, dtype="<f4")
    _check_decoded(path, info, len(samples), result.returncode, result.stderr.decode("utf-8", "replace"))
    return samples


def read_block(samples: np.ndarray, start: int, end: int) -> np.ndarray:
    """samples[start:end] as a float32 array of its own.

    For a memmap, the block is read with a plain file read: touching the mapping would keep
    every page read so far resident in this process, up to the whole recording.
    """
    start, end = max(0, start), min(len(samples), end)
    if end <= start:
        return np.zeros(0, np.float32)
    if isinstance(samples, np.memmap) and samples.filename and samples.dtype == np.float32 and samples.ndim == 1:
        with open(samples.filename, "rb") as f:
            f.seek(samples.offset + start * _BYTES_PER_SAMPLE)
            return np.fromfile(f, dtype=np.float32, count=end - start)
    return np.array(samples[start:end], dtype=np.float32)


__all__ = [
    "DECODE_VERSION",
    "SAMPLE_RATE",
    "command",
    "decode",
    "ffmpeg",
    "load",
    "probe",
    "read",
    "read_block",
    "run_tool",
    "sha256",
    "url",
]
