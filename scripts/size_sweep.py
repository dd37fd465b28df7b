#!/usr/bin/env python3
"""The dataset-size sweep of `scripts/bench sizes`: for each public dataset and size, seeded
stratified subsets of its training split, and on each subset, all evaluated on the dataset's test
split (GLUE SST-2, which has no labelled test split, on its dev set):

  - webtune with every default (`webtune train --data subset.csv --out DIR`, no other flag);
  - webtune `--search` (the best of its trials on its own validation split);
  - the PyTorch plain recipe (scripts/pytorch_reference.py: last2, 4 epochs, constant LR);
  - scikit-learn's logistic regression on frozen L2-normalised embeddings (scripts/logreg_reference.py).

Nothing here reads a test split before evaluation: defaults were chosen on dev splits.

    python scripts/size_sweep.py --webtune target/release/webtune --python PY [--sets ...] [--out DIR]

Steps whose output exists are skipped (rerun a cell by deleting its folder). Writes DIR/sizes.json
and DIR/sizes.md (the README's table).
"""
import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time

SHARED = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
DATASETS = {
    # name: (train, dev, test, description)
    "sst2": ("sst2-sentences/train.csv", "sst2-sentences/dev.csv", "sst2-sentences/test.csv", "SST-2 sentences (2 classes)"),
    "sst5": ("sst5/train.csv", "sst5/dev.csv", "sst5/test.csv", "SST-5 sentences (5 classes)"),
    "glue": ("sst2/train-2000.csv", "sst2/dev.csv", "sst2/dev.csv", "GLUE SST-2 (phrases; dev as test)"),
}
DEFAULT_SETS = "sst2:16,100,500,2000,6920 sst5:100,500,2000,8544 glue:2000"
MODEL = "www/models/all-MiniLM-L6-v2"


def seeds_for(n, classes):
    """Five seeds up to 500 rows, where one subset's draw moves test accuracy by a point or two
    (three left differences of a third of a point unresolved) and runs are cheap; one above."""
    return 5 if n <= 500 else 1


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def subset(rows, n, seed):
    """`n` rows, stratified: each class keeps its share (largest remainder), drawn with `seed`."""
    if n >= len(rows):
        return rows
    by_class = {}
    for r in rows:
        by_class.setdefault(r["label"], []).append(r)
    rng = random.Random(seed)
    labels = sorted(by_class)
    shares = {c: n * len(by_class[c]) / len(rows) for c in labels}
    if n <= 16 * len(labels):  # few-shot: the same number of each class
        take = {c: n // len(labels) for c in labels}
    else:
        take = {c: int(shares[c]) for c in labels}
        for c in sorted(labels, key=lambda c: shares[c] - take[c], reverse=True)[: n - sum(take.values())]:
            take[c] += 1
    out = []
    for c in labels:
        members = by_class[c][:]
        rng.shuffle(members)
        out += members[: take[c]]
    rng.shuffle(out)
    return out


def write(rows, path):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"])
        w.writeheader()
        for r in rows:
            w.writerow({"text": r["text"], "label": r["label"]})


def run(cmd, out_json=None, log=None):
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if log:
        with open(log, "w") as f:
            f.write(res.stderr)
    if res.returncode != 0:
        sys.stderr.write(res.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    if out_json:
        with open(out_json, "w") as f:
            f.write(res.stdout)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--webtune", required=True)
    ap.add_argument("--python", required=True, help="a Python with torch, transformers, scikit-learn")
    ap.add_argument("--sets", default=DEFAULT_SETS, help='e.g. "sst2:16,500 sst5:8544"')
    ap.add_argument("--out", default="target/bench/sizes")
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--no-reference", action="store_true", help="skip PyTorch and logistic regression")
    ap.add_argument("--no-default", action="store_true", help="only the --variant runs")
    ap.add_argument("--only-reference", action="store_true", help="only PyTorch and logistic regression")
    ap.add_argument("--search-max-size", type=int, default=500, help="--search only up to this many rows")
    ap.add_argument("--search-seeds", type=int, default=1, help="--search on this many seeds of a size")
    ap.add_argument("--eval", choices=["test", "dev"], default="test",
                    help="dev: for choosing defaults (never tune on test)")
    ap.add_argument("--variant", action="append", default=[],
                    help='extra webtune runs, "NAME=ARGS", e.g. "last2=--strategy last2"')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    cells = []
    for spec in args.sets.split():
        name, sizes = spec.split(":")
        train_path, dev_path, test_path, _ = DATASETS[name]
        rows = read(os.path.join(SHARED, train_path))
        test = os.path.join(SHARED, test_path if args.eval == "test" else dev_path)
        classes = len({r["label"] for r in rows})
        for n in [int(s) for s in sizes.split(",")]:
            for seed in range(seeds_for(n, classes)):
                d = os.path.join(args.out, f"{name}-{n}-s{seed}" + ("-dev" if args.eval == "dev" else ""))
                os.makedirs(d, exist_ok=True)
                data = os.path.join(d, "train.csv")
                if not os.path.exists(data):
                    write(subset(rows, n, seed), data)
                cell = {"dataset": name, "size": n, "seed": seed}
                search = not args.no_search and n <= args.search_max_size and seed < args.search_seeds
                variants = ([] if args.no_default else [("default", [])]) + ([("search", ["--search"])] if search else [])
                if not search and os.path.exists(os.path.join(d, "eval-search.json")):
                    variants.append(("search", ["--search"]))  # measured before: reported, not rerun
                if args.only_reference:
                    variants = []
                variants += [(v.split("=", 1)[0], v.split("=", 1)[1].split()) for v in args.variant]
                for kind, extra in variants:
                    model = os.path.join(d, f"webtune-{kind}")
                    ev = os.path.join(d, f"eval-{kind}.json")
                    if not os.path.exists(ev):
                        print(f"[{name} {n} seed {seed}] webtune {kind}", file=sys.stderr, flush=True)
                        secs = run([args.webtune, "train", "--model", MODEL, "--data", data, "--seed", str(seed),
                                    "--quiet", "--out", model, *extra], log=os.path.join(d, f"train-{kind}.log"))
                        run([args.webtune, "eval", "--model", model, "--data", test], out_json=ev)
                        m = json.load(open(ev))
                        m["train_process_seconds"] = secs
                        json.dump(m, open(ev, "w"))
                    m = json.load(open(ev))
                    meta = json.load(open(os.path.join(model, "metrics.json")))
                    cell[kind] = {"accuracy": m["accuracy"], "macro_f1": m["macro_f1"],
                                  "seconds": m["train_process_seconds"],
                                  "strategy": meta["training"]["strategy"],
                                  "epochs": len(meta["epochs"]),
                                  "planned_epochs": meta["training"]["plan"]["epochs"]}
                    if kind == "search":
                        cell[kind]["trials"] = meta["training"].get("search")
                if args.no_reference:
                    cells.append(cell)
                    continue
                pt = os.path.join(d, "pytorch.json")
                if not os.path.exists(pt):
                    print(f"[{name} {n} seed {seed}] PyTorch plain recipe", file=sys.stderr, flush=True)
                    run([args.python, "scripts/pytorch_reference.py", "--model", MODEL, "--train", data, "--valid", test,
                         "--strategy", "last2", "--epochs", "4", "--seed", str(seed), "--eval-last"], out_json=pt)
                p = json.load(open(pt))["epochs"][-1]
                cell["pytorch"] = {"accuracy": p["accuracy"], "macro_f1": p["macro_f1"]}
                lr = os.path.join(d, "logreg.json")
                if not os.path.exists(lr):
                    print(f"[{name} {n} seed {seed}] logistic regression", file=sys.stderr, flush=True)
                    run([args.python, "scripts/logreg_reference.py", "--model", MODEL, "--train", data, "--test", test],
                        out_json=lr)
                cell["logreg"] = json.load(open(lr))
                cells.append(cell)
                json.dump(cells, open(os.path.join(args.out, "sizes.json"), "w"), indent=1)

    # The table: means over seeds (the search's column over the seeds it ran on, beside the
    # defaults on the same seeds).
    lines = ["| data | rows | seeds | webtune defaults | PyTorch plain recipe | logistic regression | defaults − best baseline | webtune `--search` (same seeds) | defaults − search | defaults chose | defaults: whole run |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = {}
    for c in cells:
        groups.setdefault((c["dataset"], c["size"]), []).append(c)
    for (name, n), cs in groups.items():
        for k in [v.split("=", 1)[0] for v in args.variant] + ["default"]:
            if all(k in c for c in cs):
                accs = ", ".join("%.1f" % (100 * c[k]["accuracy"]) for c in cs)
                secs = statistics.mean(c[k]["seconds"] for c in cs)
                print(f"{name} {n}: {k} {100 * statistics.mean(c[k]['accuracy'] for c in cs):.2f} ({accs}; {secs:.1f} s)")
        if args.no_reference or not all("default" in c for c in cs):
            continue
        mean = lambda k, cs=cs: 100 * statistics.mean(c[k]["accuracy"] for c in cs)
        d, p, l = mean("default"), mean("pytorch"), mean("logreg")
        searched = [c for c in cs if "search" in c]
        if searched:
            ds, s_ = mean("default", searched), mean("search", searched)
            search_cells = f"{s_:.2f} ({len(searched)}) | {ds - s_:+.2f}"
        else:
            search_cells = "– | –"
        chose = sorted({f'{c["default"]["strategy"]}, {c["default"]["epochs"]} ep' for c in cs})
        secs = statistics.mean(c["default"]["seconds"] for c in cs)
        lines.append(f"| {name} | {n} | {len(cs)} | **{d:.2f}** | {p:.2f} | {l:.2f} | {d - max(p, l):+.2f} | "
                     f"{search_cells} | {'; '.join(chose)} | {secs:.0f} s |")
    table = "\n".join(lines)
    open(os.path.join(args.out, "sizes.md"), "w").write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
