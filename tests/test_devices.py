"""`asr.device` and `diarization.device`: "auto" is the CPU on a machine without CUDA, "cuda" there is
one line and exit 1 before any work, and the device is in no cache key. The GPU path itself is not
tested here: no machine of this project has one."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from restitution import devices
from restitution.errors import ConfigError
from restitution.options import ASROptions, DiarizationOptions, PipelineOptions, load_options
from restitution.pipeline import stage_keys
from restitution.types import Agenda, AgendaItem, AgendaSpeaker, Session

AGENDA_TEXT = "- Ouverture par Léa Kerbrat, présidente.\n- 00:00:20 : Atelier « Données » avec Hugo Delorme.\n"


def cuda_here() -> bool:
    return devices.torch_has_cuda() or devices.ctranslate2_has_cuda()


no_cuda = pytest.mark.skipif(cuda_here(), reason="this machine has a CUDA device: 'cuda' is not an error here")


def restitution(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "restitution", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@no_cuda
@pytest.mark.parametrize(("section", "library"), [("asr", "CTranslate2"), ("diarization", "torch")])
def test_cuda_asked_for_and_absent_is_one_line_and_exit_1(
    tmp_path: Path, short_french_wav: Path, section: str, library: str
) -> None:
    (tmp_path / "agenda.txt").write_text(AGENDA_TEXT, encoding="utf-8")
    (tmp_path / "c.toml").write_text(f'[{section}]\ndevice = "cuda"\n', encoding="utf-8")
    proc = restitution(
        "run", str(short_french_wav), "--agenda", "agenda.txt", "--config", "c.toml", "--out", "outputs", cwd=tmp_path
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and f"'{section}.device'" in lines[0] and library in lines[0], lines[0]
    assert '"cpu"' in lines[0], "the line says what to set instead"
    outputs = tmp_path / "outputs"
    assert not outputs.exists() or not any(outputs.rglob("*")), "nothing was decoded or written"


def test_a_device_that_is_not_one_names_the_key_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[diarization]\ndevice = "gpu"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_options(config)
    assert str(caught.value) == f'{config}: \'diarization.device\' must be "auto", "cpu" or "cuda", not \'gpu\''
    for good in ("auto", "cpu", "cuda"):  # "cuda" is checked when a run starts, not when options are read
        config.write_text(f'[asr]\ndevice = "{good}"\n', encoding="utf-8")
        assert load_options(config).asr.device == good


@no_cuda
def test_auto_is_the_cpu_here_with_its_compute_type() -> None:
    assert PipelineOptions().asr.device == PipelineOptions().diarization.device == "auto"
    assert devices.asr(ASROptions()) == "cpu"
    assert devices.asr(ASROptions(engine="openai-whisper")) == "cpu"
    assert devices.diarization(DiarizationOptions()) == "cpu"
    assert devices.compute_type(ASROptions(), "cpu") == "int8"
    assert devices.compute_type(ASROptions(), "cuda") == "float16"
    assert devices.compute_type(ASROptions(compute_type="float32"), "cuda") == "float32", "a type set is kept"
    devices.check(PipelineOptions())  # auto and cpu never fail
    with pytest.raises(ConfigError, match="asr.device"):
        devices.check(dataclasses.replace(PipelineOptions(), asr=ASROptions(device="cuda")))


def test_a_gpu_compute_type_on_the_cpu_is_refused_by_name() -> None:
    from restitution.transcribe import check

    with pytest.raises(ConfigError, match="float16.*on a CPU"):
        check(ASROptions(device="cpu", compute_type="float16"))
    with pytest.raises(ConfigError, match="openai-whisper"):
        check(ASROptions(engine="openai-whisper", device="cpu", compute_type="float16"))
    check(ASROptions(device="cuda", compute_type="int8_float16"))  # allowed where CUDA may run it


def test_the_device_is_in_no_cache_key() -> None:
    session = Session("seance", Path("recordings/seance/recording.mp3"), Path("agenda.txt"))
    agenda = Agenda((AgendaItem(0.0, "Introduction", (AgendaSpeaker("Léa Kerbrat"),), line=1),))
    base = PipelineOptions()

    def keys(options: PipelineOptions) -> dict[str, str]:
        return {name: k.key for name, k in stage_keys(session, options, agenda, "ab" * 32).stages.items()}

    for device in ("cpu", "cuda"):
        moved = dataclasses.replace(
            base,
            asr=dataclasses.replace(base.asr, device=device),
            diarization=dataclasses.replace(base.diarization, device=device),
        )
        assert keys(moved) == keys(base)
    precise = dataclasses.replace(base, asr=dataclasses.replace(base.asr, compute_type="float32"))
    assert keys(precise)["transcribe"] != keys(base)["transcribe"], "a compute type set by the user does key"


@no_cuda
@pytest.mark.slow
def test_the_models_load_on_the_cpu_with_auto() -> None:
    from restitution import segmentation
    from restitution.diarize.embedded import load_embedder
    from restitution.transcribe import get_transcriber

    transcriber = get_transcriber(ASROptions())
    assert transcriber.model.model.device == "cpu"  # type: ignore[attr-defined]
    assert transcriber.compute_type == "int8"  # type: ignore[attr-defined]
    assert "cuda" not in transcriber.description
    device = devices.diarization(DiarizationOptions())
    embedder = load_embedder("campplus", device)
    assert {p.device.type for p in embedder.model.parameters()} == {"cpu"}  # type: ignore[attr-defined]
    assert {p.device.type for p in segmentation.load(device).parameters()} == {"cpu"}
