#!/usr/bin/env python3
"""How should `logreg` choose C on a few dozen rows? A dev-only simulation, in scikit-learn, of
the rules webtune could use (src/train/logreg.rs, `choose_c`), over 20 seeded subsets a size
(`size_sweep.subset`, seeds 1000-1019, not the sweep's), each scored on the dev split — never a
test split:

  - `c1`: C = 1 (scikit-learn's default, the baseline's);
  - `min`: the lowest out-of-fold log-loss of stratified k-fold cross-validation;
  - `1se_to_c1`: that minimum only when it beats C = 1 by more than one standard error of the
    per-row differences (webtune's rule);
  - `2se_to_c1`: the same with two standard errors;
  - `min_0.3_3`: the minimum over C in {0.3, 1, 3};
  - `1se_small`: the smallest C within one standard error of the minimum (the classic rule);
  - `oracle` and each fixed C, for scale.

    PYTHON scripts/logreg_c_rule.py [--sizes "sst2:16,48 sst5:100,150"]
    # PYTHON: a Python with torch, transformers, scikit-learn

Prints one line a size: the mean dev accuracy (%) of each rule.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import size_sweep  # noqa: E402
from pytorch_reference import load  # noqa: E402

GRID = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
SIZES = "sst2:16,48 sst5:100,150"
SEEDS = range(1000, 1020)


class Embedder:
    """L2-normalised masked-mean embeddings (as scripts/logreg_reference.py), memoised."""

    def __init__(self):
        self.tok, self.enc = load(os.path.join(HERE, "..", size_sweep.MODEL))
        self.enc.eval()
        self.memo = {}

    @torch.no_grad()
    def __call__(self, texts):
        new = [t for t in dict.fromkeys(texts) if t not in self.memo]
        for s in range(0, len(new), 64):
            b = self.tok(new[s:s + 64], padding=True, truncation=True, max_length=128, return_tensors="pt")
            b = {k: v for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
            h = self.enc(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            e = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp(min=1e-9), dim=-1)
            self.memo.update(zip(new[s:s + 64], e.numpy()))
        return np.stack([self.memo[t] for t in texts])


def out_of_fold_losses(x, y, seed):
    """Per-row out-of-fold log-loss for every C: an array `len(GRID) × len(y)`."""
    folds = StratifiedKFold(min(np.bincount(y).min(), 5), shuffle=True, random_state=seed)
    loss = np.zeros((len(GRID), len(y)))
    for train, held in folds.split(x, y):
        for ci, c in enumerate(GRID):
            clf = LogisticRegression(C=c, max_iter=5000).fit(x[train], y[train])
            p = clf.predict_proba(x[held])[np.arange(len(held)), np.searchsorted(clf.classes_, y[held])]
            loss[ci, held] = -np.log(np.clip(p, 1e-12, 1))
    return loss


def standard_error(d):
    return d.std(ddof=1) / np.sqrt(len(d))


def rules(loss):
    """The index in GRID each rule keeps."""
    mean = loss.mean(1)
    best, one = int(mean.argmin()), GRID.index(1.0)
    gap = mean[one] - mean[best]
    se = standard_error(loss[one] - loss[best]) if best != one else 0.0
    beats_one = best != one and gap > se
    beats_one_twice = best != one and gap > 2 * se
    smallest_within = next(i for i in range(best + 1)
                           if i == best or mean[i] - mean[best] <= standard_error(loss[i] - loss[best]))
    near = [GRID.index(c) for c in (0.3, 1.0, 3.0)]
    return {
        "c1": one,
        "min": best,
        "1se_to_c1": best if beats_one else one,
        "2se_to_c1": best if beats_one_twice else one,
        "min_0.3_3": min(near, key=lambda i: mean[i]),
        "1se_small": smallest_within,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default=SIZES, help='e.g. "sst2:16,48 sst5:100" (dev splits only)')
    args = ap.parse_args()
    sizes = [(name, int(n)) for part in args.sizes.split() for name, ns in [part.split(":")]
             for n in ns.split(",")]
    torch.set_num_threads(1)
    embed = Embedder()
    for name, n in sizes:
        train_path, dev_path = size_sweep.DATASETS[name][:2]
        rows = size_sweep.read(os.path.join(size_sweep.SHARED, train_path))
        dev = size_sweep.read(os.path.join(size_sweep.SHARED, dev_path))
        index = {label: i for i, label in enumerate(sorted({r["label"] for r in rows}))}
        dev_x, dev_y = embed([r["text"] for r in dev]), np.array([index[r["label"]] for r in dev])
        acc = {}
        for seed in SEEDS:
            sub = size_sweep.subset(rows, n, seed)
            x, y = embed([r["text"] for r in sub]), np.array([index[r["label"]] for r in sub])
            dev_acc = [(LogisticRegression(C=c, max_iter=5000).fit(x, y).predict(dev_x) == dev_y).mean()
                       for c in GRID]
            for rule, i in rules(out_of_fold_losses(x, y, seed)).items():
                acc.setdefault(rule, []).append(dev_acc[i])
            acc.setdefault("oracle", []).append(max(dev_acc))
            for c, a in zip(GRID, dev_acc):
                acc.setdefault(f"C={c:g}", []).append(a)
        print(name, n, json.dumps({k: round(100 * float(np.mean(v)), 2) for k, v in acc.items()}), flush=True)


if __name__ == "__main__":
    main()
