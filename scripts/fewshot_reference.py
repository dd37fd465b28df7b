#!/usr/bin/env python3
"""Few-shot classification: the samples `scripts/bench fewshot` draws, and the Python reference
it runs beside webtune on them — the `setfit` package (1.2) with its defaults on
all-MiniLM-L6-v2 (Transformer, mean pooling, Normalize: the model as sentence-transformers
publishes it), scored on the same dev file.

    python scripts/fewshot_reference.py sample --train ../shared/data/sst2-sentences/train.csv \
        --k 8 --seed 0 --out target/bench/fewshot/k8-s0.csv
    python scripts/fewshot_reference.py setfit --model www/models/all-MiniLM-L6-v2 \
        --train target/bench/fewshot/k8-s0.csv --dev ../shared/data/sst2-sentences/dev.csv

`sample` writes k rows of each label drawn with numpy's RandomState(seed) (rows in file order
within the sample); `setfit` prints one JSON object: accuracy, macro_f1, train_seconds.
"""
import argparse
import csv
import json
import shutil
import tempfile
import time


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def sample(args):
    import numpy as np

    texts, labels = read(args.train)
    rng = np.random.RandomState(args.seed)
    chosen = []
    for label in sorted(set(labels)):
        idx = [i for i, l in enumerate(labels) if l == label]
        chosen.extend(rng.choice(idx, size=args.k, replace=False).tolist())
    chosen.sort()
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for i in chosen:
            w.writerow([texts[i], labels[i]])


def run_setfit(args):
    import numpy as np
    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, models
    from setfit import SetFitModel, Trainer, TrainingArguments
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    torch.manual_seed(args.seed)
    body = SentenceTransformer(
        modules=[
            models.Transformer(args.model, max_seq_length=128),
            models.Pooling(384, pooling_mode="mean"),
            models.Normalize(),
        ],
        device="cpu",
    )
    model = SetFitModel(model_body=body, model_head=LogisticRegression())
    texts, labels = read(args.train)
    names = sorted(set(labels))
    y = [names.index(l) for l in labels]
    train = Dataset.from_dict({"text": texts, "label": y})
    # Checkpoints go to a scratch folder, not the working directory.
    out = tempfile.mkdtemp(prefix="setfit-")
    trainer = Trainer(model=model, args=TrainingArguments(seed=args.seed, output_dir=out), train_dataset=train)
    started = time.time()
    trainer.train()
    seconds = time.time() - started
    shutil.rmtree(out, ignore_errors=True)
    dev_texts, dev_labels = read(args.dev)
    truth = np.array([names.index(l) for l in dev_labels])
    pred = np.asarray(model.predict(dev_texts, batch_size=64))
    print(json.dumps({
        "accuracy": float((pred == truth).mean()),
        "macro_f1": float(f1_score(truth, pred, average="macro")),
        "train_seconds": seconds,
    }))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--train", required=True)
    s.add_argument("--k", type=int, required=True)
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--out", required=True)
    r = sub.add_parser("setfit")
    r.add_argument("--model", required=True)
    r.add_argument("--train", required=True)
    r.add_argument("--dev", required=True)
    r.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    sample(args) if args.cmd == "sample" else run_setfit(args)


if __name__ == "__main__":
    main()
