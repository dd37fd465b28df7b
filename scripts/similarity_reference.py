#!/usr/bin/env python3
"""Python reference for `webtune eval` on a sentence-embedding model and a pair file:
sentence-transformers' encoding (mean pooling, normalised), then for `sentence1,sentence2,score`
files the Spearman and Pearson correlation of the cosine similarity with the scores (scipy; the
numbers sentence-transformers' EmbeddingSimilarityEvaluator reports as spearman_cosine and
pearson_cosine), and for `anchor,positive[,negative]` files each anchor's positive searched among
the file's distinct positives and negatives: recall@1, recall@10, MRR@10.

    python scripts/similarity_reference.py --model www/models/all-MiniLM-L6-v2 --data ../shared/data/stsb/dev.csv

Prints one JSON object with the keys `webtune eval` prints. Needs sentence-transformers and scipy.
"""
import argparse
import csv
import json

import numpy as np
from scipy.stats import pearsonr, spearmanr
from sentence_transformers import SentenceTransformer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cols = {c.lower(): c for c in rows[0]}
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = 128
    enc = lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    if "score" in cols:
        a = enc([r[cols["sentence1"]] for r in rows])
        b = enc([r[cols["sentence2"]] for r in rows])
        cos = (a * b).sum(1)
        scores = np.array([float(r[cols["score"]]) for r in rows])
        out = {"pairs": len(rows), "pearson": float(pearsonr(cos, scores).statistic),
               "spearman": float(spearmanr(cos, scores).statistic)}
    else:
        corpus, index = [], {}
        def add(t):
            if t not in index:
                index[t] = len(corpus)
                corpus.append(t)
            return index[t]
        relevant = [add(r[cols["positive"]]) for r in rows]
        for r in rows:
            if "negative" in cols:
                add(r[cols["negative"]])
        q = enc([r[cols["anchor"]] for r in rows])
        d = enc(corpus)
        sims = q @ d.T
        ranks = np.array([1 + int((sims[i] > sims[i, relevant[i]]).sum()) for i in range(len(rows))])
        out = {"pairs": len(rows), "recall_at_1": float((ranks <= 1).mean()), "recall_at_10": float((ranks <= 10).mean()),
               "mrr_at_10": float(np.where(ranks <= 10, 1.0 / ranks, 0.0).mean()), "corpus": len(corpus)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
