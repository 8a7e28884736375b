#!/usr/bin/env bash
# Hugging Face parity of a Hunmin model directory: fill-mask by Hunmin against PyTorch references (parity.py).
#   tools/hf-parity/check.sh MODEL_DIR [TEXTS_FILE]      default texts: the seeds' probes and a few more
# Needs python3 with torch and numpy (Debian: python3-torch); transformers too, when present, is checked as well.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
model="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
texts="${2:-$work/texts.txt}"
if [[ -z "${2:-}" ]]; then
  printf '%s\n' "이순신은 [MASK] 중기의 무신이다." "세종대왕은 [MASK]을 창제하였다." "서울은 대한민국의 [MASK]이다." \
    "이 영화 정말 [MASK] 재미있어요." "오늘 날씨가 [MASK] 좋네요. [MASK] 가자." > "$texts"
fi
"$here/../../submit/hunmin" fill-mask --model "$model" --input "$texts" --output "$work/fill.jsonl" >/dev/null
"$here/../../submit/hunmin" tokenize --vocab "$model" --input "$texts" --output "$work/ids.txt" >/dev/null
python=""
for py in ${PYTHON:-} python3 /usr/bin/python3; do
  if "$py" -c "import torch, numpy" 2>/dev/null; then python="$py"; break; fi
done
[[ -n "$python" ]] || { echo "check.sh: no python3 with torch and numpy (Debian: apt-get install python3-torch; or set PYTHON)" >&2; exit 2; }
"$python" "$here/parity.py" "$model" "$work/fill.jsonl" "$work/ids.txt" "$texts"
