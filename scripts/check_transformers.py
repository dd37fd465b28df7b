#!/usr/bin/env python3
"""Checks that `transformers` loads a webtune classifier and computes exactly webtune's logits,
for single texts or (with --pairs) sentence pairs.

    python scripts/check_transformers.py MODEL_DIR [--webtune target/release/webtune] [--pairs]

`AutoModelForSequenceClassification.from_pretrained(MODEL_DIR, trust_remote_code=True)` (the
folder's modeling_webtune.py: BERT, mean pooling, the linear head) on `AutoTokenizer`'s batched
encoding (pairs: `tokenizer(first, second, truncation="longest_first")`) must give `webtune
predict`'s logits within 1e-4, load every weight, and its `problem_type` must be webtune.json's
task. Needs torch and transformers (target/ref-venv). Exits non-zero on failure.
"""
import argparse
import json
import subprocess
import sys

import numpy as np

TEXTS = [
    "a gorgeous, witty, seductive movie.",
    "dull and far too long",
    "Café naïve résumé — coöperate, Zürich.",
    "東京は日本の首都です。 🙂",
    " ".join(f"word{i}" for i in range(200)),
    "A man is playing a flute.",
]
PAIRS = [(a, b) for a in TEXTS for b in TEXTS[::2]] + [("A plane is taking off.", "")]
PROBLEM_TYPES = {"single": "single_label_classification", "multi": "multi_label_classification",
                 "regression": "regression"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--webtune", default="target/release/webtune")
    ap.add_argument("--pairs", action="store_true")
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    webtune = json.load(open(f"{args.model}/webtune.json"))
    max_len = webtune["max_seq_length"]
    model, info = AutoModelForSequenceClassification.from_pretrained(
        args.model, trust_remote_code=True, output_loading_info=True)
    model.eval()
    tok = AutoTokenizer.from_pretrained(args.model)
    if args.pairs:
        first, second = [a for a, _ in PAIRS], [b for _, b in PAIRS]
        batch = tok(first, second, padding=True, truncation="longest_first", max_length=max_len,
                    return_tensors="pt")
        lines = [f"{a}\t{b}" for a, b in PAIRS]
    else:
        batch = tok(TEXTS, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        lines = TEXTS
    with torch.no_grad():
        theirs = model(**batch).logits.numpy()
    out = subprocess.run([args.webtune, "predict", "--model", args.model], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    if webtune.get("task") == "regression":
        ours = np.array([[r["score"]] for r in rows], dtype=np.float32)
    else:
        ours = np.array([r["logits"] for r in rows], dtype=np.float32)
    diff = float(np.abs(theirs - ours).max()) if theirs.shape == ours.shape else float("inf")
    print(f"transformers {type(model).__name__} logits {theirs.shape}, webtune {ours.shape}, "
          f"max abs difference {diff:.2e}")
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    print(f"loading problems: {problems or 'none'}")
    expected = PROBLEM_TYPES[webtune.get("task", "single")]
    print(f"problem_type {model.config.problem_type} (webtune.json: {webtune.get('task')})")
    ok = diff <= 1e-4 and not problems and model.config.problem_type == expected
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
