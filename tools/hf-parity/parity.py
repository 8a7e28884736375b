#!/usr/bin/env python3
"""Checks a Hunmin model directory against independent PyTorch implementations of Hugging Face's BERT.

    parity.py MODEL_DIR FILL_JSONL IDS_TXT TEXTS_TXT

MODEL_DIR is a pretrain final/ or export-hf output; FILL_JSONL is `hunmin fill-mask --input TEXTS_TXT` on it,
IDS_TXT is `hunmin tokenize --vocab MODEL_DIR --input TEXTS_TXT`. Two references, each given the same ids:
  * reference: BertForPreTraining's forward written out below in plain torch from Hugging Face's modeling_bert
    (tensors read from model.safetensors by name, config.json's fields), needs only torch and numpy;
  * transformers (when installed): BertForMaskedLM.from_pretrained(MODEL_DIR), BertForPreTraining.from_pretrained,
    and pipeline('fill-mask'), which also tokenizes with the directory's tokenizer files.
For every text the top-k token ids must agree and the scores match within 1e-4. Exit 0 when they do.
"""
import json
import math
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        start, end = t["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype=DTYPES[t["dtype"]]).reshape(t["shape"]).copy())
    return tensors


def gelu(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def mlm_logits(w, c, ids):
    """BertForPreTraining's prediction_logits for one sequence of ids (no padding, token types 0)."""
    eps = c["layer_norm_eps"]
    ln = lambda x, p: torch.nn.functional.layer_norm(x, x.shape[-1:], w[p + ".weight"], w[p + ".bias"], eps)
    lin = lambda x, p: torch.nn.functional.linear(x, w[p + ".weight"], w[p + ".bias"])
    ids = torch.tensor(ids)
    n = len(ids)
    x = (w["bert.embeddings.word_embeddings.weight"][ids] + w["bert.embeddings.position_embeddings.weight"][:n]
         + w["bert.embeddings.token_type_embeddings.weight"][torch.zeros(n, dtype=torch.long)])
    x = ln(x, "bert.embeddings.LayerNorm")
    heads = c["num_attention_heads"]
    d = c["hidden_size"] // heads
    for i in range(c["num_hidden_layers"]):
        p = f"bert.encoder.layer.{i}."
        split = lambda t: t.view(n, heads, d).transpose(0, 1)
        q, k, v = (split(lin(x, p + "attention.self." + m)) for m in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        context = (probs @ v).transpose(0, 1).reshape(n, c["hidden_size"])
        x = ln(lin(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        x = ln(lin(gelu(lin(x, p + "intermediate.dense")), p + "output.dense") + x, p + "output.LayerNorm")
    t = ln(gelu(lin(x, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm")
    decoder = w.get("cls.predictions.decoder.weight", w["bert.embeddings.word_embeddings.weight"])
    return t @ decoder.T + w["cls.predictions.bias"]


def compare(name, ours, theirs, failures):
    """ours/theirs: lists (per [MASK]) of [(token id, score)] best first."""
    for a, b in zip(ours, theirs):
        ids_a = [t for t, _ in a]
        ids_b = [t for t, _ in b]
        worst = max(abs(x - y) for (_, x), (_, y) in zip(a, b))
        if ids_a != ids_b or worst > 1e-4:
            failures.append(f"{name}: hunmin {a} vs {b}")
    return failures


def main(model_dir, fill_path, ids_path, texts_path):
    config = json.load(open(f"{model_dir}/config.json"))
    weights = read_safetensors(f"{model_dir}/model.safetensors")
    vocab = [l.rstrip("\n") for l in open(f"{model_dir}/vocab.txt", encoding="utf-8")]
    cls, sep, mask = vocab.index("[CLS]"), vocab.index("[SEP]"), vocab.index("[MASK]")
    fills = [json.loads(l) for l in open(fill_path, encoding="utf-8")]
    ids = [[int(t) for t in l.split()] for l in open(ids_path, encoding="utf-8")]
    texts = [l.rstrip("\n") for l in open(texts_path, encoding="utf-8") if l.strip()]
    failures = []
    transformers = None
    try:
        import transformers  # noqa: F401  (present on the GPU machine, absent here)
        masked_lm = transformers.BertForMaskedLM.from_pretrained(model_dir).eval()
        pretraining = transformers.BertForPreTraining.from_pretrained(model_dir).eval()
        fill_mask = transformers.pipeline("fill-mask", model=model_dir, tokenizer=model_dir, top_k=len(fills[0]) if isinstance(fills[0][0], dict) else 5)
    except ImportError:
        pass
    for text, fill, body in zip(texts, fills, ids):
        seq = [cls] + body + [sep]
        fill = fill if isinstance(fill[0], list) else [fill]
        k = len(fill[0])
        ours = [[(c["token"], c["score"]) for c in per_mask] for per_mask in fill]
        positions = [i for i, t in enumerate(seq) if t == mask]
        with torch.no_grad():
            probs = torch.softmax(mlm_logits(weights, config, seq), dim=-1)
            ref = [[(int(t), float(probs[p, t])) for t in torch.topk(probs[p], k).indices] for p in positions]
            compare(f"reference: {text}", ours, ref, failures)
            if transformers is not None:
                input_ids = torch.tensor([seq])
                for model in (masked_lm, pretraining):
                    out = model(input_ids=input_ids)
                    logits = out.logits if hasattr(out, "logits") else out.prediction_logits
                    p = torch.softmax(logits[0], dim=-1)
                    hf = [[(int(t), float(p[q, t])) for t in torch.topk(p[q], k).indices] for q in positions]
                    compare(f"{type(model).__name__}: {text}", ours, hf, failures)
                piped = fill_mask(text)
                piped = piped if isinstance(piped[0], list) else [piped]
                compare(f"pipeline: {text}", ours, [[(c["token"], c["score"]) for c in m] for m in piped], failures)
    checked = "reference" + (", transformers " + transformers.__version__ if transformers is not None else "")
    if failures:
        print("\n".join(failures))
        print(f"FAIL: {len(failures)} disagreements over {len(texts)} texts ({checked})")
        return 1
    print(f"OK: {len(texts)} texts, top-{k} ids equal and scores within 1e-4 ({checked}; torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
