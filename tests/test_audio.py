"""audio: real ffmpeg on real files made here (lavfi tones, espeak-ng speech), good and bad."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from restitution import audio
from restitution.errors import AudioError, OutputError

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def tone(dest: Path, *encode: str, seconds: float = 3.0, freq: int = 440, rate: int = 44100) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=f={freq}:r={rate}:d={seconds}", *encode, str(dest))
    return dest


def peak_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / audio.SAMPLE_RATE)[np.argmax(spectrum)])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part") or p.name == "out.f32")


def write_wav(path: Path, frames: bytes, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


FORMATS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "wav": [],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "flac": ["-c:a", "flac"],
}


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_formats_decode_to_16k_mono_float32_of_the_right_length(tmp_path: Path, ext: str) -> None:
    src = tone(tmp_path / f"tone.{ext}", *FORMATS[ext], seconds=3.0)
    info = audio.probe(src)
    assert abs(info.duration - 3.0) <= 0.1
    assert info.sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert not info.has_video

    raw = audio.decode(src, tmp_path / "out.f32", info)
    samples = audio.load(raw)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) / audio.SAMPLE_RATE - 3.0) <= 0.1
    assert abs(peak_hz(np.asarray(samples)) - 440) < 3  # right rate: the tone did not shift
    with pytest.raises(ValueError):
        samples[0] = 1.0  # read-only
    assert leftovers(tmp_path) == ["out.f32"]


def test_video_takes_the_first_audio_stream(tmp_path: Path) -> None:
    src = tmp_path / "talk.mp4"
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc=d=2:size=160x120:rate=10",
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=2",
        "-f",
        "lavfi",
        "-i",
        "sine=f=1000:d=2",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-map",
        "2:a",
        "-c:v",
        "mpeg4",
        "-c:a",
        "aac",
        str(src),
    )
    info = audio.probe(src)
    assert info.has_video and info.codec == "aac"
    samples = audio.read(src)
    assert abs(len(samples) / audio.SAMPLE_RATE - 2.0) <= 0.1
    assert abs(peak_hz(samples) - 440) < 3


def test_six_channels_are_downmixed_and_8khz_is_upsampled(tmp_path: Path) -> None:
    six = tmp_path / "surround.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=2", "-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0", str(six))
    assert audio.probe(six).channels == 6
    phone = tone(tmp_path / "phone.wav", seconds=2.0, rate=8000)
    assert audio.probe(phone).sample_rate == 8000
    for src in (six, phone):
        samples = audio.read(src)
        assert abs(len(samples) / audio.SAMPLE_RATE - 2.0) <= 0.1
        assert abs(peak_hz(samples) - 440) < 3


def test_silence_is_audio_and_cover_art_is_not_video(tmp_path: Path) -> None:
    # No speech is the transcriber's business: decoding must still succeed.
    silent = tmp_path / "silence.mp3"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "2", "-c:a", "libmp3lame", str(silent))
    samples = audio.read(silent)
    assert abs(len(samples) / audio.SAMPLE_RATE - 2.0) <= 0.1 and np.abs(samples).max() < 1e-4
    cover = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", str(cover))
    tagged = tmp_path / "tagged.mp3"
    ffmpeg(
        "-i",
        str(silent),
        "-i",
        str(cover),
        "-map",
        "0:a",
        "-map",
        "1:v",
        "-c:a",
        "copy",
        "-c:v",
        "png",
        "-disposition:v",
        "attached_pic",
        str(tagged),
    )
    info = audio.probe(tagged)
    assert not info.has_video and info.codec == "mp3"


def test_vbr_mp3_without_header_gets_its_exact_duration(tmp_path: Path) -> None:
    # Without a Xing header ffprobe only estimates from the first frame's bitrate.
    speech = tmp_path / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-v", "fr", "-w", str(speech), "Bonjour à tous, bienvenue à cette restitution des ateliers."],
        check=True,
    )
    src = tmp_path / "vbr.mp3"
    ffmpeg("-i", str(speech), "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0", str(src))
    info = audio.probe(src)
    decoded = len(audio.read(src)) / audio.SAMPLE_RATE
    assert abs(info.duration - decoded) <= 0.1


def test_decode_streams_progress_and_replaces_dest_atomically(tmp_path: Path) -> None:
    src = tone(tmp_path / "long.flac", "-c:a", "flac", seconds=40.0)
    dest = tmp_path / "out.f32"
    dest.write_bytes(b"old")
    calls: list[tuple[float, float]] = []

    def hook(step: str, artifact: object = None, *, completed: float, total: float) -> None:
        assert step == "decode"
        calls.append((completed, total))

    audio.decode(src, dest, hook=hook)
    assert dest.stat().st_size == 40 * audio.SAMPLE_RATE * 4
    assert len(calls) >= 3  # several 1 MiB chunks, then the final call
    done = [c for c, _ in calls]
    assert done == sorted(done) and done[-1] == pytest.approx(40.0, abs=0.1)
    assert all(t == pytest.approx(40.0, abs=0.1) for _, t in calls)
    assert leftovers(tmp_path) == ["out.f32"]


@pytest.mark.parametrize(
    "name",
    [
        "with spaces.wav",
        'quote\'s "double".wav',
        "-leading-dash.wav",
        "-i.wav",
        "réunion été 日本語.wav",
        "colon:inside.wav",
    ],
)
def test_hostile_file_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.chdir(tmp_path)
    made = tone(tmp_path / "plain.wav", seconds=1.0)
    made.rename(tmp_path / name)
    src = Path(name)  # relative, so a leading dash reaches ffmpeg unless we guard it
    assert abs(audio.probe(src).duration - 1.0) <= 0.05
    out = audio.decode(src, Path(f"{name}.f32"))
    assert len(audio.load(out)) == audio.SAMPLE_RATE


# ---- bad inputs: each gives exactly one line naming the file, and nothing at dest ----


def make_text_as_mp3(d: Path) -> Path:
    p = d / "notes.mp3"
    p.write_text("Ceci n'est pas un fichier audio.\n" * 20)
    return p


def make_truncated_mp3(d: Path) -> Path:
    full = tone(d / "full.mp3", "-c:a", "libmp3lame", "-b:a", "64k", seconds=10.0)  # with a Xing header
    cut = d / "cut.mp3"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    return cut


def make_truncated_m4a(d: Path) -> Path:
    full = tone(d / "full.m4a", "-c:a", "aac", seconds=10.0)  # index (moov) at the end
    cut = d / "cut.m4a"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    return cut


def make_truncated_wav(d: Path) -> Path:
    full = write_wav(d / "full.wav", b"\x00\x01" * 16000 * 4)
    cut = d / "cut.wav"
    cut.write_bytes(full.read_bytes()[: 44 + 32000])
    return cut


def make_image(d: Path) -> Path:
    p = d / "poster.mp3"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64", "-frames:v", "1", "-f", "image2", str(p))
    return p


def make_silent_video(d: Path) -> Path:
    p = d / "mute.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=d=1:size=160x120:rate=10", "-c:v", "mpeg4", str(p))
    return p


def make_empty(d: Path) -> Path:
    p = d / "empty.mp3"
    p.touch()
    return p


def make_folder(d: Path) -> Path:
    p = d / "folder.mp3"
    p.mkdir()
    return p


BAD = {
    "missing": (lambda d: d / "absent.mp3", "file not found"),
    "empty": (make_empty, "empty file (0 bytes)"),
    "folder": (make_folder, "is a directory, not an audio file"),
    "text named .mp3": (make_text_as_mp3, "no audio stream (not an audio or video file?)"),
    "image": (make_image, "no audio stream (not an audio or video file?)"),
    "video without audio": (make_silent_video, "no audio stream (not an audio or video file?)"),
    "wav header, no data": (lambda d: write_wav(d / "header.wav", b""), "no audio (duration 0 s)"),
    "one sample": (lambda d: write_wav(d / "tiny.wav", b"\x00\x10", rate=44100), "no audio samples"),
    "truncated mp3": (make_truncated_mp3, r"corrupt or truncated audio: decoded [3-6]\.\d s of 10\.0 s"),
    "truncated m4a": (make_truncated_m4a, "corrupt or truncated audio: moov atom not found"),
    "truncated wav": (make_truncated_wav, "corrupt or truncated audio: 96000 bytes of samples missing"),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_gives_one_line_and_writes_nothing(tmp_path: Path, kind: str) -> None:
    make, expected = BAD[kind]
    src_dir = tmp_path / "in"
    src_dir.mkdir()
    src = make(src_dir)
    out_dir = tmp_path / "outputs"
    with pytest.raises(AudioError) as caught:
        audio.decode(src, out_dir / "session" / ".work" / "out.f32")
    message = str(caught.value)
    assert "\n" not in message
    if kind.startswith("truncated mp3"):
        assert message.startswith(f"{src}: ")
        assert re.fullmatch(expected, message.removeprefix(f"{src}: "))
    else:
        assert message == f"{src}: {expected}"
    assert caught.value.path == src
    assert not out_dir.exists()  # not even the folders made for the output
    with pytest.raises(AudioError) as again:
        audio.read(src)  # the in-memory path checks the same things
    assert str(again.value) == message


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("needs root and mount to simulate the device")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    src = tone(tmp_path / "long.flac", "-c:a", "flac", seconds=40.0)  # 2.5 MB decoded
    with mounted_tmpfs(tmp_path / "small", "size=1m") as small:
        with pytest.raises(OutputError) as caught:
            audio.decode(src, small / "out.f32")
        assert str(caught.value) == f"{small / 'out.f32'}: cannot write: no space left on the device"
        assert list(small.iterdir()) == []


def test_read_only_output_folder(tmp_path: Path) -> None:
    src = tone(tmp_path / "short.wav", seconds=1.0)
    message = "cannot write: permission denied (is the output folder writable?)"
    if os.geteuid() != 0:  # root writes through permission bits: it needs a read-only mount instead
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        with pytest.raises(OutputError) as caught:
            audio.decode(src, ro / "out.f32")
        assert str(caught.value) == f"{ro / 'out.f32'}: {message}"
        return
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        with pytest.raises(OutputError) as caught:
            audio.decode(src, ro / "out.f32")
        assert str(caught.value) == f"{ro / 'out.f32'}: {message}"


def test_load_refuses_a_missing_or_empty_raw_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="decoded audio not found"):
        audio.load(tmp_path / "none.f32")
    (tmp_path / "empty.f32").touch()
    with pytest.raises(AudioError) as caught:
        audio.load(tmp_path / "empty.f32")
    assert str(caught.value) == f"{tmp_path / 'empty.f32'}: no audio samples"
