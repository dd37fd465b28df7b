#!/usr/bin/env python3
"""The PyTorch reference recipe, for timing beside webtune in the same benchmark run.

all-MiniLM-L6-v2 from www/models (local files only), max_len 128, dynamic padding, attention-masked
mean pooling -> Linear head, AdamW (0.9/0.999, eps 1e-8, wd 0.01), lr 2e-5 encoder / 1e-3 head,
constant LR, batch 32, seed; `head` freezes the encoder, `lastK` trains the top K layers (dropout
0.1 in them), `full` trains everything. Prints one JSON object: dev accuracy/macro-F1 after each
epoch and each epoch's wall time.

Other tasks, with webtune's recipe for them (`--task`):
- `regression`: one output, MSE on the targets standardised with the training set's mean and
  standard deviation (webtune's default), Spearman/Pearson/RMSE/MAE on the original scale.
- `multi`: one logit a label, BCEWithLogitsLoss with webtune's automatic positive weights
  (sqrt(negatives/positives) for labels rarer than 1 in 4, else 1), the decision threshold chosen
  on the evaluation set from 0.05, 0.10, ..., 0.95 for the best micro-F1 (ties nearest 0.5), as
  webtune chooses it on its validation set; labels in one column separated by ';'.
- `--pair-col`: the examples are sentence pairs, one input `[CLS] a [SEP] b [SEP]`.
`--schedule linear --warmup 0.1 --max-grad-norm 1 --lr-encoder 5e-5` is webtune's default last2
recipe (linear warm-up then decay, as webtune's `lr_factor`).

Needs torch and transformers (scripts/bench installs them into target/ref-venv when asked).
"""
import argparse
import csv
import json
import os
import random
import sys
import time

import torch
from transformers import BertModel, PreTrainedTokenizerFast


def read(path, text_col="text", label_col="label", pair_col=None):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r[text_col] for r in rows]
    if pair_col:
        texts = [(r[text_col], r[pair_col]) for r in rows]
    return texts, [r[label_col] for r in rows]


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    out = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return 0.0 if sxx == 0 or syy == 0 else sxy / (sxx * syy) ** 0.5


THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def micro_f1(probs, truth, t):
    pred = probs > t
    tp = (pred & truth).sum().item()
    p, a = pred.sum().item(), truth.sum().item()
    prec = tp / p if p else 0.0
    rec = tp / a if a else 0.0
    return 0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec)


def multi_label_metrics(probs, truth, threshold=None):
    """At `threshold`, or at the threshold of the best micro-F1 (ties nearest 0.5): micro/macro-F1,
    subset accuracy, Hamming loss."""
    best = (-1.0, 0.5)
    for t in THRESHOLDS if threshold is None else [threshold]:
        f = micro_f1(probs, truth, t)
        if f > best[0] + 1e-12 or (abs(f - best[0]) <= 1e-12 and abs(t - 0.5) < abs(best[1] - 0.5)):
            best = (f, t)
    t = best[1]
    pred = probs > t
    f1s = []
    for l in range(truth.shape[1]):
        tp = (pred[:, l] & truth[:, l]).sum().item()
        p, a = pred[:, l].sum().item(), truth[:, l].sum().item()
        prec, rec = (tp / p if p else 0.0), (tp / a if a else 0.0)
        f1s.append(0.0 if prec + rec == 0 else 2 * prec * rec / (prec + rec))
    return {"micro_f1": best[0], "macro_f1": sum(f1s) / len(f1s), "threshold": t,
            "subset_accuracy": (pred == truth).all(1).float().mean().item(),
            "hamming_loss": (pred != truth).float().mean().item()}


def load(model_dir):
    """The tokenizer (batches padded to their longest text) and the encoder, from local files."""
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(model_dir, "tokenizer.json"))
    tok.pad_token = "[PAD]"
    # tokenizer.json pads to 128 by itself; batches are padded to their longest text instead.
    tok.backend_tokenizer.no_padding()
    tok.backend_tokenizer.no_truncation()
    return tok, BertModel.from_pretrained(model_dir, add_pooling_layer=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--valid", required=True)
    ap.add_argument("--strategy", default="last2")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--eval-last", action="store_true", help="evaluate after the last epoch only")
    ap.add_argument("--task", default="single", choices=["single", "multi", "regression"])
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--label-col", default="label")
    ap.add_argument("--pair-col", default=None)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--lr-encoder", type=float, default=2e-5)
    ap.add_argument("--schedule", default="constant", choices=["constant", "linear"])
    ap.add_argument("--warmup", type=float, default=0.0, help="fraction of the steps warming up")
    ap.add_argument("--max-grad-norm", type=float, default=0.0, help="0: no clipping")
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--threshold", type=float, default=None,
                    help="multi-label: predict the labels above this probability (the plain recipe: 0.5) "
                         "instead of the threshold with the best micro-F1 on the evaluation set")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    tok, enc = load(args.model)
    enc = enc.to(dev)

    texts, labels = read(args.train, args.text_col, args.label_col, args.pair_col)
    vtexts, vlabels = read(args.valid, args.text_col, args.label_col, args.pair_col)
    scale = None
    pos_weight = None
    if args.task == "single":
        names = sorted(set(labels))
        y = torch.tensor([names.index(l) for l in labels])
        vy = torch.tensor([names.index(l) for l in vlabels])
        outputs = len(names)
    elif args.task == "multi":
        split = lambda l: [x.strip() for x in l.split(";") if x.strip()]
        names = sorted({x for l in labels for x in split(l)})
        hot = lambda ls: torch.tensor([[1.0 if n in split(l) else 0.0 for n in names] for l in ls])
        y, vy = hot(labels), hot(vlabels).bool()
        outputs = len(names)
        counts = y.sum(0)
        ratio = (len(labels) - counts) / counts.clamp(min=1)
        w = torch.where(ratio > 3.0, ratio.sqrt(), torch.ones_like(ratio))
        pos_weight = w.to(dev) if (w != 1).any() else None
    else:
        raw = torch.tensor([float(l) for l in labels])
        scale = (raw.mean().item(), raw.std(unbiased=False).item())
        y = (raw - scale[0]) / scale[1]
        vy = torch.tensor([float(l) for l in vlabels])
        outputs = 1
    head = torch.nn.Linear(enc.config.hidden_size, outputs).to(dev)

    n_layers = enc.config.num_hidden_layers
    for p in enc.parameters():
        p.requires_grad = False
    trainable_layers = []
    if args.strategy == "full":
        for p in enc.parameters():
            p.requires_grad = True
        trainable_layers = list(range(n_layers))
    elif args.strategy.startswith("last"):
        k = int(args.strategy[4:])
        trainable_layers = list(range(n_layers - k, n_layers))
        for i in trainable_layers:
            for p in enc.encoder.layer[i].parameters():
                p.requires_grad = True
    enc_params = [p for p in enc.parameters() if p.requires_grad]
    groups = [{"params": head.parameters(), "lr": args.lr_head}]
    if enc_params:
        groups.append({"params": enc_params, "lr": args.lr_encoder})
    opt = torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

    def batch(t):
        if args.pair_col:
            b = tok([a for a, _ in t], [b for _, b in t], padding=True, truncation="longest_first",
                    max_length=args.max_len, return_tensors="pt")
            return {k: v.to(dev) for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        b = tok(t, padding=True, truncation=True, max_length=args.max_len, return_tensors="pt")
        return {k: v.to(dev) for k, v in b.items() if k in ("input_ids", "attention_mask", "token_type_ids")}

    def logits(b):
        h = enc(**b).last_hidden_state
        m = b["attention_mask"].unsqueeze(-1).float()
        return head((h * m).sum(1) / m.sum(1).clamp(min=1e-9))

    def set_train_mode():
        enc.eval()
        if args.strategy == "full":
            enc.train()
        for i in trainable_layers:
            enc.encoder.layer[i].train()
        head.train()

    def loss_of(out, target):
        if args.task == "single":
            return torch.nn.functional.cross_entropy(out, target)
        if args.task == "multi":
            return torch.nn.functional.binary_cross_entropy_with_logits(out, target, pos_weight=pos_weight)
        return torch.nn.functional.mse_loss(out.squeeze(-1), target)

    steps_per_epoch = (len(texts) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    warmup = round(args.warmup * total)

    def factor(step):
        # webtune's lr_factor: linear warm-up, then constant or linear decay to 0.
        if step < warmup:
            return (step + 1) / warmup
        if args.schedule == "constant":
            return 1.0
        return min(1.0, max(0.0, (total - step) / max(1, total - warmup)))

    base_lrs = [g["lr"] for g in opt.param_groups]
    step = 0
    report = {"strategy": args.strategy, "task": args.task, "seed": args.seed, "threads": args.threads,
              "torch": torch.__version__, "epochs": []}
    order = list(range(len(texts)))
    rng = random.Random(args.seed)
    for epoch in range(args.epochs):
        set_train_mode()
        rng.shuffle(order)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for s in range(0, len(order), args.batch):
            idx = order[s:s + args.batch]
            for g, lr in zip(opt.param_groups, base_lrs):
                g["lr"] = lr * factor(step)
            loss = loss_of(logits(batch([texts[i] for i in idx])), y[idx].to(dev))
            opt.zero_grad()
            loss.backward()
            if args.max_grad_norm > 0:
                params = [p for g in opt.param_groups for p in g["params"]]
                torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
            opt.step()
            step += 1
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        if args.eval_last and epoch + 1 < args.epochs:
            report["epochs"].append({"epoch": epoch + 1, "seconds": seconds, "examples_per_sec": len(texts) / seconds})
            continue
        enc.eval()
        head.eval()
        outs = []
        with torch.no_grad():
            for s in range(0, len(vtexts), 64):
                outs.append(logits(batch(vtexts[s:s + 64])).cpu())
        outs = torch.cat(outs)
        if args.task != "single":
            row = {"epoch": epoch + 1, "seconds": seconds, "examples_per_sec": len(texts) / seconds}
            if args.task == "multi":
                row.update(multi_label_metrics(torch.sigmoid(outs), vy, args.threshold))
            else:
                pred = (outs.squeeze(-1) * scale[1] + scale[0]).tolist()
                truth = vy.tolist()
                row.update(spearman=pearson(ranks(pred), ranks(truth)), pearson=pearson(pred, truth),
                           rmse=(sum((a - b) ** 2 for a, b in zip(pred, truth)) / len(truth)) ** 0.5,
                           mae=sum(abs(a - b) for a, b in zip(pred, truth)) / len(truth))
            report["epochs"].append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            continue
        preds = outs.argmax(-1)
        acc = (preds == vy).float().mean().item()
        f1s = []
        for c in range(len(names)):
            tp = ((preds == c) & (vy == c)).sum().item()
            p = tp / max(1, (preds == c).sum().item())
            r = tp / max(1, (vy == c).sum().item())
            f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
        report["epochs"].append({"epoch": epoch + 1, "seconds": seconds, "examples_per_sec": len(texts) / seconds,
                                 "accuracy": acc, "macro_f1": sum(f1s) / len(f1s)})
        print(json.dumps(report["epochs"][-1]), file=sys.stderr, flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
