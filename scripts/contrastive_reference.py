#!/usr/bin/env python3
"""Reference values for webtune's contrastive losses (src/model/contrastive_loss.rs), from
sentence-transformers' own loss classes on one fixed batch of embeddings: the loss and its
gradient with respect to every embedding, for MultipleNegativesRankingLoss (with hard negatives),
MultipleNegativesSymmetricRankingLoss, CoSENTLoss and CosineSimilarityLoss.

    target/ref-venv/bin/python scripts/contrastive_reference.py > tests/fixtures/contrastive_reference.json

The embeddings are seeded normal draws (numpy RandomState(7)), written into the file with the
values, so the test needs nothing else.
"""
import json

import numpy as np
import sentence_transformers
import torch
from sentence_transformers.sentence_transformer.losses import (
    CoSENTLoss,
    CosineSimilarityLoss,
    MultipleNegativesRankingLoss,
    MultipleNegativesSymmetricRankingLoss,
)

N, D = 5, 8


def case(loss, arrays, labels):
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    value = loss.compute_loss_from_embeddings(tensors, torch.tensor(labels, dtype=torch.float64))
    value.backward()
    return {"loss": value.item(), "grads": [t.grad.numpy().tolist() for t in tensors]}


def main():
    rng = np.random.RandomState(7)
    anchors, positives, negatives = (rng.randn(N, D) for _ in range(3))
    # Positives near their anchors, so the losses are neither saturated nor trivial.
    positives = anchors + 0.8 * positives
    scores = [4.2, 0.5, 2.5, 2.5, 3.1]
    out = {
        "sentence_transformers": sentence_transformers.__version__,
        "anchors": anchors.tolist(),
        "positives": positives.tolist(),
        "negatives": negatives.tolist(),
        "scores": scores,
        "targets": [1.0, 0.0, 1.0, 0.0, 1.0],
        "mnrl": case(MultipleNegativesRankingLoss(None, scale=20.0), [anchors, positives], [0] * N),
        "mnrl_negatives": case(MultipleNegativesRankingLoss(None, scale=20.0), [anchors, positives, negatives], [0] * N),
        "mnrl_symmetric": case(MultipleNegativesSymmetricRankingLoss(None, scale=20.0), [anchors, positives], [0] * N),
        "cosent": case(CoSENTLoss(None, scale=20.0), [anchors, positives], scores),
        "cosine": case(CosineSimilarityLoss(None), [anchors, positives], [1.0, 0.0, 1.0, 0.0, 1.0]),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
