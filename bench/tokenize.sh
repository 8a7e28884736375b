#!/usr/bin/env bash
# Tokenization speed, Hunmin against Hugging Face tokenizers on the same machine, text and vocabulary: ~20 MB of
# the cleaned shared corpora, a 30000-token vocabulary. Hunmin's `tokenize` runs on one thread; Hugging Face's
# encodeBatch on all cores (its per-core figure divides by nproc). Writes bench/out/tokenize.tsv.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
vocab="$out/vocab-30000"
[[ -f "$vocab/_SUCCESS" ]] || "$root/submit/hunmin" vocab --input "$clean" --output "$vocab" --overwrite --vocab-size 30000
(set +o pipefail; cat "$clean"/text/*.txt | head -c 20000000) > "$out/tokenize-input.txt"
cores=$(nproc)
ours=$("$root/submit/hunmin" tokenize --vocab "$vocab" --input "$out/tokenize-input.txt" --output "$out/tokenize-hunmin.ids" --overwrite 2>/dev/null)
hf=$(node --max-old-space-size=8192 "$root/tools/hf-tokenizers/encode.js" "$vocab/tokenizer.json" "$out/tokenize-input.txt" "$out/tokenize-hf.ids" 2>&1)
cmp -s "$out/tokenize-hunmin.ids" "$out/tokenize-hf.ids" && same=identical || same=DIFFERENT
python3 - "$ours" "$hf" "$cores" "$same" > "$out/tokenize.tsv" <<'PY'
import re, sys
ours, hf, cores, same = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), sys.argv[4]
ours_tps = float(re.search(r"tokens, (\d+) tokens/s", ours).group(1))
hf_tps = float(hf[3])
print("tokenizer\tthreads\ttokens_per_s\ttokens_per_s_per_core\tids")
print(f"hunmin\t1\t{ours_tps:.0f}\t{ours_tps:.0f}\t{same}")
print(f"huggingface\t{cores}\t{hf_tps:.0f}\t{hf_tps / cores:.0f}\t{same}")
print(f"# per core: hunmin / huggingface = {ours_tps / (hf_tps / cores):.2f}x")
PY
column -t -s $'\t' "$out/tokenize.tsv"
