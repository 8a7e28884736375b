#!/usr/bin/env bash
# A Python environment with Hugging Face transformers for check.sh, built offline from a local wheelhouse (this
# project's machine image carries one: /opt/pypi/files and /opt/pypi-more/files), since neither PyPI nor Debian
# offers transformers here. transformers needs PyTorch >= 2.1 (Debian's is 1.13), and PyPI's torch wheel loads the
# CUDA libraries of its nvidia-* wheels even on CPU, so those are installed too, without their CUDA-only extras.
#   tools/hf-parity/venv.sh DIR [WHEEL_DIR …]      then: PYTHON=DIR/bin/python tools/hf-parity/check.sh MODEL_DIR
set -euo pipefail
venv="$1"
shift
wheels=("$@")
[[ ${#wheels[@]} -gt 0 ]] || wheels=(/opt/pypi/files /opt/pypi-more/files)
links=()
for w in "${wheels[@]}"; do [[ -d "$w" ]] && links+=(--find-links "$w"); done
[[ ${#links[@]} -gt 0 ]] || { echo "venv.sh: no wheel directory among ${wheels[*]}" >&2; exit 2; }
python3 -m venv "$venv"
pip=("$venv/bin/pip" install -q --no-index "${links[@]}")
"${pip[@]}" --no-deps torch==2.14.1
"${pip[@]}" --no-deps $(for w in "${wheels[@]}"; do ls "$w"/nvidia_*.whl 2>/dev/null; done)
"${pip[@]}" typing_extensions filelock sympy networkx jinja2 fsspec numpy transformers==5.18.0
"$venv/bin/python" -c "import torch, transformers; print('transformers', transformers.__version__, 'torch', torch.__version__)"
