"""The pyannote adapter, for real: a pyannote pipeline built from randomly initialised local
models (segmentation, embedding, PLDA) run end to end through our backend. Its quality is not
the point; the loading, the in-memory audio, the output conversion and the errors are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ["PYANNOTE_METRICS_ENABLED"] = "0"
pytest.importorskip("pyannote.audio", reason="pyannote.audio (the 'pyannote' extra) is not installed")

from restitution.diarize import diarize  # noqa: E402
from restitution.diarize.pyannote import load_pipeline, to_diarization  # noqa: E402
from restitution.errors import ModelError  # noqa: E402
from restitution.options import DiarizationOptions  # noqa: E402

RATE = 16000


def _save(model, path: Path) -> None:
    """A checkpoint in the layout pyannote's Model.from_pretrained reads."""
    import lightning
    import torch
    from pyannote.audio import __version__

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": model.state_dict(),
            "hyper_parameters": dict(model.hparams),
            "pytorch-lightning_version": lightning.__version__,
            "pyannote.audio": {
                "versions": {"pyannote.audio": __version__},
                "architecture": {"module": type(model).__module__, "class": type(model).__name__},
                "specifications": model.specifications,
            },
        },
        path,
    )


@pytest.fixture(scope="module")
def random_pipeline(tmp_path_factory) -> Path:
    """config.yaml + segmentation/ + embedding/ + plda/, shaped like community-1, random weights."""
    import torch
    import yaml
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import XVectorMFCC
    from pyannote.audio.models.segmentation import PyanNet

    root = tmp_path_factory.mktemp("pyannote-pipeline")
    torch.manual_seed(0)
    seg = PyanNet(
        sincnet={"stride": 10}, lstm={"hidden_size": 32, "num_layers": 1}, linear={"hidden_size": 32, "num_layers": 1}
    )
    seg.specifications = Specifications(
        problem=Problem.MONO_LABEL_CLASSIFICATION,
        resolution=Resolution.FRAME,
        duration=5.0,
        min_duration=5.0,
        warm_up=(0.0, 0.0),
        classes=["speaker#1", "speaker#2", "speaker#3"],
        powerset_max_classes=2,
        permutation_invariant=True,
    )
    seg.build()
    _save(seg, root / "segmentation" / "pytorch_model.bin")
    emb = XVectorMFCC()  # small: the real pipeline's ResNet34 takes minutes on CPU
    emb.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=5.0)
    _save(emb, root / "embedding" / "pytorch_model.bin")
    rng = np.random.default_rng(0)
    (root / "plda").mkdir()
    np.savez(
        root / "plda" / "xvec_transform.npz", mean1=np.zeros(512), mean2=np.zeros(128), lda=rng.normal(size=(512, 128))
    )
    np.savez(root / "plda" / "plda.npz", mu=np.zeros(128), tr=np.eye(128), psi=np.linspace(2.0, 0.5, 128))
    config = {
        "pipeline": {
            "name": "pyannote.audio.pipelines.SpeakerDiarization",
            "params": {
                "clustering": "VBxClustering",
                "embedding": "$model/embedding",
                "embedding_batch_size": 8,
                "embedding_exclude_overlap": True,
                "plda": "$model/plda",
                "segmentation": "$model/segmentation",
                "segmentation_batch_size": 8,
                "segmentation_step": 0.5,
            },
        },
        "params": {"clustering": {"threshold": 0.6, "Fa": 0.07, "Fb": 0.8}, "segmentation": {"min_duration_off": 0.0}},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def speech(seconds: float) -> np.ndarray:
    text = "Bonjour à tous, la séance est ouverte. Nous commençons par le budget de l'année prochaine."
    wav = subprocess.run(["espeak-ng", "-v", "fr", "--stdout", text], check=True, capture_output=True).stdout
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "-", "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        input=wav,
        check=True,
        capture_output=True,
    ).stdout
    x = np.frombuffer(pcm, dtype="<f4")
    return np.resize(x, int(seconds * RATE)).astype(np.float32)


@pytest.mark.slow
def test_local_pipeline_runs_end_to_end_through_our_backend(random_pipeline: Path, tmp_path: Path):
    audio = speech(9.0)
    raw = tmp_path / "audio.f32"
    audio.tofile(raw)
    calls = []
    options = DiarizationOptions(engine="pyannote", pyannote_pipeline=str(random_pipeline), max_speakers=3)
    result = diarize(
        np.memmap(raw, dtype="<f4", mode="r"),
        options,
        min_speakers_hint=1,
        hook=lambda step, artifact=None, **kw: calls.append(kw),
    )
    assert result.engine == f"pyannote/{random_pipeline}"
    labels = [t.speaker for t in result.turns]
    assert labels, "a random model still marks some frames as speech"
    assert list(dict.fromkeys(labels)) == [f"S{i + 1}" for i in range(len(set(labels)))]
    assert all(0.0 <= t.start < t.end <= 9.0 for t in result.turns)
    assert set(result.centroids) <= set(labels)
    assert all(abs(np.linalg.norm(c) - 1) < 1e-4 for c in result.centroids.values())
    assert calls[-1] == {"completed": 9.0, "total": 9.0}
    done = [c["completed"] for c in calls]
    assert done == sorted(done)
    # the folder's config.yaml, given directly, is the same pipeline
    assert load_pipeline(str(random_pipeline / "config.yaml")) is not None


def test_pyannote_3_and_4_outputs_convert_alike():
    from pyannote.core import Annotation, Segment

    ann = Annotation()
    ann[Segment(5.0, 7.0)] = "SPEAKER_01"
    ann[Segment(0.0, 4.0)] = "SPEAKER_00"
    ann[Segment(6.5, 12.0)] = "SPEAKER_00"
    emb = np.array([[3.0, 4.0], [0.0, 2.0]])  # rows in ann.labels() order: SPEAKER_00, SPEAKER_01
    v3 = to_diarization(ann, "pyannote/x", duration=10.0)
    assert [(t.start, t.end, t.speaker) for t in v3.turns] == [(0.0, 4.0, "S1"), (5.0, 7.0, "S2"), (6.5, 10.0, "S1")]
    assert v3.centroids == {}
    v31 = to_diarization((ann, emb), "pyannote/x")
    assert v31.centroids == {"S1": [0.6, 0.8], "S2": [0.0, 1.0]}

    class DiarizeOutput:  # pyannote 4's result shape
        speaker_diarization = ann
        speaker_embeddings = emb

    v4 = to_diarization(DiarizeOutput(), "pyannote/x", duration=10.0)
    assert v4.turns == v3.turns and v4.centroids == v31.centroids


@pytest.mark.slow
def test_missing_models_are_one_clear_line(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no config.yaml") as err:
        load_pipeline(str(empty))
    assert "\n" not in str(err.value)
    # A hub name with no network and no cache: run offline in a child so the hub gives up at once.
    code = (
        "from restitution.diarize.pyannote import load_pipeline\n"
        "from restitution.errors import ModelError\n"
        "try:\n    load_pipeline('pyannote/speaker-diarization-community-1')\n"
        "except ModelError as e:\n    print(e)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, out.stdout + out.stderr
    assert "speaker-diarization-community-1" in lines[0] and "HF_TOKEN" in lines[0] and "local folder" in lines[0]
