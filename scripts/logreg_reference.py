#!/usr/bin/env python3
"""The logistic-regression baseline: scikit-learn's LogisticRegression (defaults: L2, C=1, lbfgs)
on frozen, L2-normalised all-MiniLM-L6-v2 embeddings (attention-masked mean pooling), computed in
PyTorch from www/models — independent of webtune's engine.

    python scripts/logreg_reference.py --model www/models/all-MiniLM-L6-v2 --train T.csv --test E.csv

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
    clf = LogisticRegression(max_iter=5000).fit(embed(x), y)
    pred = clf.predict(embed(tx))
    print(json.dumps({"accuracy": accuracy_score(ty, pred), "macro_f1": f1_score(ty, pred, average="macro")}))


if __name__ == "__main__":
    main()
