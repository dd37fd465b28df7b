#!/usr/bin/env python3
"""The logistic-regression baseline: scikit-learn's LogisticRegression (defaults: L2, C=1, lbfgs)
on frozen, L2-normalised all-MiniLM-L6-v2 embeddings (attention-masked mean pooling), computed in
PyTorch from www/models — independent of webtune's engine.

    python scripts/logreg_reference.py --model www/models/all-MiniLM-L6-v2 --train T.csv --test E.csv [--tol 1e-8]

`--tol` is lbfgs's stopping tolerance (scikit-learn's default 1e-4 stops a few iterations short
of the optimum on small sets; webtune's `logreg` solves to it, which `--tol 1e-8` reproduces).

Prints one JSON object: test accuracy and macro-F1. Files are CSV with `text` and `label` columns.

Other tasks (`--task`), the same frozen embeddings under the linear model that fits the task:
- `multi` (labels joined by ';'): one logistic regression a label (scikit-learn's
  OneVsRestClassifier), a label predicted above probability 0.5: micro-F1, macro-F1.
- `regression`: ridge regression (alpha 1): Spearman and Pearson correlation on the test set.
- `--pair-col`: each example is a sentence pair, embedded as one input [CLS] a [SEP] b [SEP].
"""
import argparse
import json
import os

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from pytorch_reference import load, pearson, ranks, read


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--train-rows", type=int, help="only the first N training rows")
    ap.add_argument("--test-rows", type=int, help="only the first N test rows")
    ap.add_argument("--task", default="single", choices=["single", "multi", "regression"])
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--label-col", default="label")
    ap.add_argument("--pair-col", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok, enc = load(args.model)
    enc.eval()

    @torch.no_grad()
    def embed(texts):
        out = []
        for s in range(0, len(texts), 64):
            part = texts[s:s + 64]
            if args.pair_col:
                b = tok([a for a, _ in part], [b for _, b in part], padding=True, truncation="longest_first",
                        max_length=128, return_tensors="pt")
            else:
                b = tok(part, padding=True, truncation=True, max_length=128, return_tensors="pt")
            b = {k: v for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
            h = enc(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(e, dim=-1).numpy())
        return np.concatenate(out)

    x, y = read(args.train, args.text_col, args.label_col, args.pair_col)
    tx, ty = read(args.test, args.text_col, args.label_col, args.pair_col)
    x, y = x[:args.train_rows], y[:args.train_rows]
    tx, ty = tx[:args.test_rows], ty[:args.test_rows]
    if args.task == "multi":
        split = lambda l: [s.strip() for s in l.split(";") if s.strip()]
        binarizer = MultiLabelBinarizer().fit([split(l) for l in y + ty])
        yy, tyy = binarizer.transform([split(l) for l in y]), binarizer.transform([split(l) for l in ty])
        clf = OneVsRestClassifier(LogisticRegression(max_iter=100000, tol=args.tol)).fit(embed(x), yy)
        pred = (clf.predict_proba(embed(tx)) > 0.5).astype(int)
        print(json.dumps({"micro_f1": f1_score(tyy, pred, average="micro"),
                          "macro_f1": f1_score(tyy, pred, average="macro", zero_division=0)}))
        return
    if args.task == "regression":
        reg = Ridge(alpha=1.0).fit(embed(x), [float(v) for v in y])
        pred = reg.predict(embed(tx)).tolist()
        truth = [float(v) for v in ty]
        print(json.dumps({"spearman": pearson(ranks(pred), ranks(truth)), "pearson": pearson(pred, truth)}))
        return
    clf = LogisticRegression(max_iter=100000, tol=args.tol).fit(embed(x), y)
    pred = clf.predict(embed(tx))
    print(json.dumps({"accuracy": accuracy_score(ty, pred), "macro_f1": f1_score(ty, pred, average="macro")}))


if __name__ == "__main__":
    main()
