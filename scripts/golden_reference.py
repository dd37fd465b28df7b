#!/usr/bin/env python3
"""Writes the PyTorch reference values the engine is tested against (the golden file that the
tests read from ../shared/golden/minilm-l6-v2.json), so anyone can regenerate or extend it.

    python scripts/golden_reference.py --out golden.json             # write a new reference
    python scripts/golden_reference.py --check ../shared/golden/minilm-l6-v2.json
                                                                      # recompute, compare, report

all-MiniLM-L6-v2 from www/models (local files only: scripts/fetch-model), `transformers`' BertModel
in eval mode on the CPU in float32, the fast tokenizer from tokenizer.json, max_len 128.
For each case text: token ids and type ids, the number of tokens, the first 16 values of the
[CLS] and of the last token's hidden state, the attention-masked mean of the last hidden state
(sentence-transformers' Pooling, mean_tokens) and its L2-normalised form.
One training step: cases 0..3 padded to their own longest, a head W [3, 384], b [3] drawn
uniform(-0.05, 0.05) after torch.manual_seed(1234), labels [2, 0, 1, 0], mean cross-entropy of the
head on the pooled embeddings, encoder layer 5 and the head trainable, dropout off: the logits,
the loss, the head's gradients and, for seven tensors of layer 5, each gradient's first eight
values, L2 norm, sum and shape (PyTorch's layout: a Linear weight is [out, in]).

Needs torch and transformers (scripts/bench installs them into target/ref-venv).
"""
import argparse
import hashlib
import json
import math
import os
import sys

import tokenizers
import torch
import transformers
from transformers import BertModel, PreTrainedTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "www", "models", "all-MiniLM-L6-v2")
MAX_LEN = 128
CASES = [
    "The quick brown fox jumps over the lazy dog.",
    "a gorgeous, witty, seductive movie.",
    "I didn't like it AT ALL!!!",
    "Café naïve résumé — coöperate, Zürich.",
    "東京は日本の首都です。",
    "Emoji test 🙂🚀 and numbers 3.14159, 1,000,000.",
    "",
    "   leading and trailing spaces   ",
    "URL https://example.com/path?q=1&x=2 and email someone@example.org",
    "longsentence " + " ".join(f"word{i}" for i in range(200)),
]
STEP_CASES = [0, 1, 2, 3]
STEP_LABELS = [2, 0, 1, 0]
STEP_SEED = 1234
LAYER5 = [
    "attention.self.query.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.LayerNorm.weight",
    "intermediate.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.bias",
]


def r(x, digits=8):
    """Rounded as the reference file keeps numbers (8 significant digits are far below the
    tests' tolerances)."""
    if isinstance(x, list):
        return [r(v, digits) for v in x]
    x = float(x)
    return 0.0 if x == 0 else round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def load():
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(MODEL, "tokenizer.json"))
    model = BertModel.from_pretrained(MODEL, local_files_only=True, add_pooling_layer=False)
    model.eval()
    return tok, model


def encode(tok, texts):
    return tok(texts, max_length=MAX_LEN, truncation=True, padding=True, return_tensors="pt",
               return_token_type_ids=True, return_attention_mask=True)


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def cases(tok, model):
    out = []
    for text in CASES:
        enc = encode(tok, [text])
        with torch.no_grad():
            hidden = model(**enc).last_hidden_state
        n = int(enc["attention_mask"][0].sum())
        pooled = mean_pool(hidden, enc["attention_mask"])[0]
        out.append({
            "text": text,
            "input_ids": enc["input_ids"][0].tolist(),
            "token_type_ids": enc["token_type_ids"][0].tolist(),
            "num_tokens": n,
            "cls_hidden_first16": r(hidden[0, 0, :16].tolist()),
            "last_token_hidden_first16": r(hidden[0, n - 1, :16].tolist()),
            "mean_pooled": r(pooled.tolist()),
            "mean_pooled_normalized": r(torch.nn.functional.normalize(pooled, dim=0).tolist()),
        })
    return out


def train_step(tok, model):
    torch.manual_seed(STEP_SEED)
    hidden_size = model.config.hidden_size
    w = torch.empty(3, hidden_size).uniform_(-0.05, 0.05).requires_grad_(True)
    b = torch.empty(3).uniform_(-0.05, 0.05).requires_grad_(True)
    for p in model.parameters():
        p.requires_grad_(False)
    layer5 = model.encoder.layer[5]
    for p in layer5.parameters():
        p.requires_grad_(True)
    enc = encode(tok, [CASES[i] for i in STEP_CASES])
    pooled = mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])
    logits = pooled @ w.T + b
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(STEP_LABELS))
    loss.backward()
    params = dict(layer5.named_parameters())
    grads = {}
    for name in LAYER5:
        g = params[name].grad
        grads[name] = {"first8": r(g.flatten()[:8].tolist()), "l2": r(g.norm().item()),
                       "sum": r(g.sum().item()), "shape": list(g.shape)}
    return {
        "description": "head W[3,384], b[3] applied to mean-pooled last_hidden_state (attention-masked "
                       "mean); cross_entropy(mean); encoder layer 5 and head trainable; dropout off (eval "
                       "mode). Batch = cases 0..3 padded to their own max length. Gradient shapes are "
                       "PyTorch's (Linear weight is [out, in]).",
        "case_indices": STEP_CASES,
        "labels": STEP_LABELS,
        "head_W": r(w.detach().flatten().tolist()),
        "head_b": r(b.detach().tolist()),
        "logits": r(logits.detach().flatten().tolist()),
        "loss": r(loss.item()),
        "grad_head_W": r(w.grad.flatten().tolist()),
        "grad_head_b": r(b.grad.tolist()),
        "grad_layer5": grads,
    }


def reference():
    tok, model = load()
    with open(os.path.join(MODEL, "model.safetensors"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_safetensors_sha256": sha,
        "produced_with": {"torch": torch.__version__, "transformers": transformers.__version__,
                          "tokenizers": tokenizers.__version__},
        "max_len": MAX_LEN,
        "pooling": "attention-masked mean over last_hidden_state (sentence-transformers Pooling, mean_tokens)",
        "cases": cases(tok, model),
        "train_step": train_step(tok, model),
    }


def compare(new, old, path="", worst=None):
    """Largest absolute difference between two references, and every structural mismatch."""
    worst = worst if worst is not None else {"diff": 0.0, "at": "", "mismatches": []}
    if isinstance(old, dict):
        if set(old) != set(new):
            worst["mismatches"].append(f"{path}: keys {sorted(set(old) ^ set(new))}")
        for k in old:
            # The description is prose; produced_with names the versions that made each file.
            if k in new and k not in ("description", "produced_with"):
                compare(new[k], old[k], f"{path}.{k}", worst)
    elif isinstance(old, list):
        if len(old) != len(new):
            worst["mismatches"].append(f"{path}: length {len(new)} vs {len(old)}")
        for i, (a, b) in enumerate(zip(new, old)):
            compare(a, b, f"{path}[{i}]", worst)
    elif isinstance(old, float) or isinstance(new, float):
        d = abs(float(new) - float(old))
        if d > worst["diff"]:
            worst.update(diff=d, at=path)
    elif new != old:
        worst["mismatches"].append(f"{path}: {new!r} vs {old!r}")
    return worst


def main():
    transformers.logging.set_verbosity_error()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write the reference here")
    ap.add_argument("--check", help="compare with this reference file and fail past --tolerance")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()
    if not (args.out or args.check):
        ap.error("give --out FILE or --check FILE")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    ref = reference()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(ref, f, ensure_ascii=False, indent=1)
        print(f"wrote {args.out}")
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            old = json.load(f)
        w = compare(ref, old)
        print(f"largest difference {w['diff']:.3g} at {w['at'] or '-'}; {len(w['mismatches'])} mismatches")
        for m in w["mismatches"][:20]:
            print("  " + m)
        if w["mismatches"] or w["diff"] > args.tolerance:
            sys.exit(1)


if __name__ == "__main__":
    main()
