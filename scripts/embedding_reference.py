#!/usr/bin/env python3
"""The Python reference for embedding fine-tuning (`./scripts/bench embedding`):
sentence-transformers' own `training_stsbenchmark.py` recipe on all-MiniLM-L6-v2 (Transformer,
mean pooling, Normalize: the model as published) — CoSENTLoss (or --loss cosine:
CosineSimilarityLoss on the scores / 5), 4 epochs, batch 16, learning rate 2e-5, 10 % warm-up —
trained on STS-B train and scored on STS-B test (Spearman of the cosine similarity) before and
after. Prints one JSON object.

    target/ref-venv/bin/python scripts/embedding_reference.py --model www/models/all-MiniLM-L6-v2 \
        --data ../shared/data/stsb
"""
import argparse
import csv
import json
import os
import time


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["sentence1"] for r in rows], [r["sentence2"] for r in rows], [float(r["score"]) for r in rows]


def spearman(model, path):
    import numpy as np
    from scipy.stats import spearmanr

    a, b, s = read(path)
    ea = model.encode(a, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    eb = model.encode(b, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    return float(spearmanr((ea * eb).sum(1), np.array(s)).statistic)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--loss", default="cosent", choices=["cosent", "cosine"])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="target/bench/embedding/python-model")
    args = ap.parse_args()

    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, models
    from sentence_transformers.sentence_transformer import losses
    from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    torch.manual_seed(args.seed)
    model = SentenceTransformer(
        modules=[models.Transformer(args.model, max_seq_length=128), models.Pooling(384, pooling_mode="mean"), models.Normalize()],
        device="cpu",
    )
    test = os.path.join(args.data, "test.csv")
    before = spearman(model, test)
    a, b, s = read(os.path.join(args.data, "train.csv"))
    scale = 5.0 if args.loss == "cosine" else 1.0
    train = Dataset.from_dict({"sentence1": a, "sentence2": b, "score": [x / scale for x in s]})
    loss = losses.CoSENTLoss(model) if args.loss == "cosent" else losses.CosineSimilarityLoss(model)
    targs = SentenceTransformerTrainingArguments(
        output_dir=args.out, num_train_epochs=args.epochs, per_device_train_batch_size=args.batch,
        learning_rate=2e-5, warmup_ratio=0.1, seed=args.seed, save_strategy="no", report_to=[], logging_steps=100,
    )
    started = time.time()
    SentenceTransformerTrainer(model=model, args=targs, train_dataset=train, loss=loss).train()
    seconds = time.time() - started
    print(json.dumps({"before": before, "after": spearman(model, test), "train_seconds": seconds,
                      "loss": args.loss, "epochs": args.epochs, "batch": args.batch}))


if __name__ == "__main__":
    main()
