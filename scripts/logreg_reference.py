#!/usr/bin/env python3
"""The logistic-regression baseline: scikit-learn's LogisticRegression (defaults: L2, C=1, lbfgs)
on frozen, L2-normalised all-MiniLM-L6-v2 embeddings (attention-masked mean pooling), computed in
PyTorch from www/models — independent of webtune's engine.

    python scripts/logreg_reference.py --model www/models/all-MiniLM-L6-v2 --train T.csv --test E.csv [--tol 1e-8]

`--tol` is lbfgs's stopping tolerance (scikit-learn's default 1e-4 stops a few iterations short
of the optimum on small sets; webtune's `logreg` solves to it, which `--tol 1e-8` reproduces).

Prints one JSON object: test accuracy and macro-F1. Files are CSV with `text` and `label` columns.
"""
import argparse
import json
import os

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from pytorch_reference import load, read


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--train-rows", type=int, help="only the first N training rows")
    ap.add_argument("--test-rows", type=int, help="only the first N test rows")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok, enc = load(args.model)
    enc.eval()

    @torch.no_grad()
    def embed(texts):
        out = []
        for s in range(0, len(texts), 64):
            b = tok(texts[s:s + 64], padding=True, truncation=True, max_length=128, return_tensors="pt")
            b = {k: v for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
            h = enc(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(e, dim=-1).numpy())
        return np.concatenate(out)

    x, y = read(args.train)
    tx, ty = read(args.test)
    x, y = x[:args.train_rows], y[:args.train_rows]
    tx, ty = tx[:args.test_rows], ty[:args.test_rows]
    clf = LogisticRegression(max_iter=100000, tol=args.tol).fit(embed(x), y)
    pred = clf.predict(embed(tx))
    print(json.dumps({"accuracy": accuracy_score(ty, pred), "macro_f1": f1_score(ty, pred, average="macro")}))


if __name__ == "__main__":
    main()
