"""Rebuild an openai-whisper checkpoint from CTranslate2 Whisper weights, without CTranslate2.

openai-whisper only loads `{"dims": ..., "model_state_dict": ...}` files and otherwise
downloads one; the weights we can install offline are CTranslate2's. The two hold the same
numbers under other names: CTranslate2 fuses the attention projections and stores a key bias
that openai-whisper's model does not have (it is zero, and a key bias cannot change attention
anyway: it adds the same q·b to every score of a query, which softmax ignores).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import ModelError
from ..files import atomic_path

# CTranslate2's DataType enum, in order (specs/model_spec.py).
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_SUPPORTED_VERSIONS = range(3, 7)


def _read(f: BinaryIO, fmt: str):
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise EOFError
    return struct.unpack(fmt, data)[0]


def _read_string(f: BinaryIO) -> str:
    length = _read(f, "<H")
    return f.read(length)[:-1].decode("utf-8")  # stored with a trailing NUL


def read_model_bin(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """Parse a CTranslate2 `model.bin`: spec name and variables, aliases resolved to arrays."""
    variables: dict[str, np.ndarray] = {}
    try:
        with open(path, "rb") as f:
            version = _read(f, "<I")
            if version not in _SUPPORTED_VERSIONS:
                raise ModelError(f"unsupported CTranslate2 binary version {version}", path)
            spec = _read_string(f)
            _read(f, "<I")  # spec revision
            for _ in range(_read(f, "<I")):
                name = _read_string(f)
                shape = tuple(_read(f, "<I") for _ in range(_read(f, "<B")))
                dtype = _DTYPES[_read(f, "<B")]
                nbytes = _read(f, "<I")
                raw = f.read(nbytes)
                if len(raw) != nbytes:
                    raise EOFError
                if dtype == "bfloat16":
                    array = (np.frombuffer(raw, np.uint16).astype(np.uint32) << 16).view(np.float32)
                else:
                    array = np.frombuffer(raw, dtype)
                variables[name] = array.reshape(shape)
            for _ in range(_read(f, "<I")):
                alias = _read_string(f)
                variables[alias] = variables[_read_string(f)]
    except (EOFError, IndexError, KeyError, ValueError, UnicodeDecodeError):
        raise ModelError("truncated or corrupt CTranslate2 model.bin", path) from None
    except OSError as e:
        raise ModelError(f"cannot read: {e.strerror or e}", path) from None
    return spec, variables


def _weight(v: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    w = v[f"{prefix}/weight"]
    scale = v.get(f"{prefix}/weight_scale")
    if w.dtype == np.int8 and scale is not None:  # int8 models store round(w * scale) per row
        w = w.astype(np.float32) / scale.reshape(-1, *([1] * (w.ndim - 1)))
    return w


def _bias(v: dict[str, np.ndarray], prefix: str, size: int) -> np.ndarray:
    b = v.get(f"{prefix}/bias")
    return b if b is not None else np.zeros(size, np.float16)


def _scalar(v: dict[str, np.ndarray], name: str) -> int:
    return int(v[name].reshape(-1)[0])


def _count_layers(v: dict[str, np.ndarray], side: str) -> int:
    return len({m.group(1) for k in v if (m := re.match(rf"{side}/layer_(\d+)/", k))})


def _attention(v, src: str, dst: str, fused: int, out: dict[str, np.ndarray]) -> None:
    """Split CTranslate2's fused projections: self-attention fuses q,k,v; cross-attention fuses k,v."""
    d = v[f"{src}/linear_0/weight"].shape[-1]
    names = ("query", "key", "value") if fused == 3 else ("key", "value")
    first = 0 if fused == 3 else 1
    w = _weight(v, f"{src}/linear_{first}")
    b = _bias(v, f"{src}/linear_{first}", w.shape[0])
    for i, name in enumerate(names):
        out[f"{dst}.{name}.weight"] = w[i * d : (i + 1) * d]
        if name != "key":
            out[f"{dst}.{name}.bias"] = b[i * d : (i + 1) * d]
    if fused == 2:
        out[f"{dst}.query.weight"] = _weight(v, f"{src}/linear_0")
        out[f"{dst}.query.bias"] = _bias(v, f"{src}/linear_0", d)
    last = f"{src}/linear_{1 if fused == 3 else 2}"
    out[f"{dst}.out.weight"] = _weight(v, last)
    out[f"{dst}.out.bias"] = _bias(v, last, d)
    out[f"{dst}_ln.weight"] = v[f"{src}/layer_norm/gamma"]
    out[f"{dst}_ln.bias"] = v[f"{src}/layer_norm/beta"]


def _block(v, src: str, dst: str, cross: bool, out: dict[str, np.ndarray]) -> None:
    _attention(v, f"{src}/self_attention", f"{dst}.attn", 3, out)
    if cross:
        _attention(v, f"{src}/attention", f"{dst}.cross_attn", 2, out)
    out[f"{dst}.mlp.0.weight"] = _weight(v, f"{src}/ffn/linear_0")
    out[f"{dst}.mlp.0.bias"] = _bias(v, f"{src}/ffn/linear_0", out[f"{dst}.mlp.0.weight"].shape[0])
    out[f"{dst}.mlp.2.weight"] = _weight(v, f"{src}/ffn/linear_1")
    out[f"{dst}.mlp.2.bias"] = _bias(v, f"{src}/ffn/linear_1", out[f"{dst}.mlp.2.weight"].shape[0])
    out[f"{dst}.mlp_ln.weight"] = v[f"{src}/ffn/layer_norm/gamma"]
    out[f"{dst}.mlp_ln.bias"] = v[f"{src}/ffn/layer_norm/beta"]


def to_openai_state(src_dir: Path) -> tuple[dict[str, int], dict[str, np.ndarray], list[list[int]]]:
    """(dims, state dict as arrays, alignment heads) for a CTranslate2 Whisper folder."""
    spec, v = read_model_bin(src_dir / "model.bin")
    if spec != "WhisperSpec":
        raise ModelError(f"not a Whisper model (spec {spec})", src_dir / "model.bin")
    try:
        config = json.loads((src_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    try:
        out: dict[str, np.ndarray] = {}
        for i in (1, 2):
            out[f"encoder.conv{i}.weight"] = _weight(v, f"encoder/conv{i}")
            out[f"encoder.conv{i}.bias"] = v[f"encoder/conv{i}/bias"]
        out["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
        n_audio_layer = _count_layers(v, "encoder")
        n_text_layer = _count_layers(v, "decoder")
        for i in range(n_audio_layer):
            _block(v, f"encoder/layer_{i}", f"encoder.blocks.{i}", False, out)
        out["encoder.ln_post.weight"] = v["encoder/layer_norm/gamma"]
        out["encoder.ln_post.bias"] = v["encoder/layer_norm/beta"]
        # The output projection is tied to the token embedding (CTranslate2 stores it as an alias).
        out["decoder.token_embedding.weight"] = _weight(v, "decoder/embeddings")
        out["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
        for i in range(n_text_layer):
            _block(v, f"decoder/layer_{i}", f"decoder.blocks.{i}", True, out)
        out["decoder.ln.weight"] = v["decoder/layer_norm/gamma"]
        out["decoder.ln.bias"] = v["decoder/layer_norm/beta"]
        dims = {
            "n_mels": out["encoder.conv1.weight"].shape[1],
            "n_audio_ctx": out["encoder.positional_embedding"].shape[0],
            "n_audio_state": out["encoder.positional_embedding"].shape[1],
            "n_audio_head": _scalar(v, "encoder/num_heads"),
            "n_audio_layer": n_audio_layer,
            "n_vocab": out["decoder.token_embedding.weight"].shape[0],
            "n_text_ctx": out["decoder.positional_embedding"].shape[0],
            "n_text_state": out["decoder.positional_embedding"].shape[1],
            "n_text_head": _scalar(v, "decoder/num_heads"),
            "n_text_layer": n_text_layer,
        }
    except KeyError as e:
        raise ModelError(f"model.bin lacks variable {e.args[0]}", src_dir / "model.bin") from None
    heads = [list(map(int, h)) for h in config.get("alignment_heads", [])]
    if not heads:  # openai-whisper's own fallback: every head of the second half of the decoder
        heads = [[layer, h] for layer in range(n_text_layer // 2, n_text_layer) for h in range(dims["n_text_head"])]
    return {k: int(x) for k, x in dims.items()}, out, heads


def alignment_heads_dump(heads: list[list[int]], n_text_layer: int, n_text_head: int) -> bytes:
    """Encode heads the way `Whisper.set_alignment_heads` expects (base85 of a gzipped bool mask)."""
    import base64
    import gzip

    mask = np.zeros((n_text_layer, n_text_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


def ct2_to_openai(src_dir: Path, dest: Path) -> Path:
    """Write an openai-whisper checkpoint for the CTranslate2 folder `src_dir`; returns `dest`.

    Tensors are saved in float16 (as the original checkpoints); the extra key
    `alignment_heads` carries the word-timing heads from config.json, which
    `whisper.load_model` ignores and our backend applies.
    """
    import torch

    src_dir, dest = Path(src_dir), Path(dest)
    if not (src_dir / "model.bin").is_file():
        raise ModelError("no model.bin in this folder", src_dir)
    dims, state, heads = to_openai_state(src_dir)
    checkpoint = {
        "dims": dims,
        "model_state_dict": {k: torch.from_numpy(np.array(a, dtype=np.float16)) for k, a in state.items()},
        "alignment_heads": heads,
    }
    with atomic_path(dest) as tmp:
        torch.save(checkpoint, tmp)
    return dest
