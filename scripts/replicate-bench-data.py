#!/usr/bin/env python3
"""More SKUs for speed benchmarks: every SKU of a long series file copied K times, each
copy a perturbed version of the real series (quantities scaled by a seeded factor in
[0.7, 1.3], each period's value jittered by ±20 % and rounded, a seeded share of 10 % of
its selling periods dropped to zero). For timing only: the copies are not new demand.

    python3 scripts/two-year-bench-data.py series.csv two_years.csv
    python3 scripts/replicate-bench-data.py two_years.csv 10 ten_thousand.csv
"""
import csv
import random
import sys

src, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(2)
rows = []
with open(src, newline="") as f:
    for r in csv.DictReader(f):
        rows.append((r["date"], r["sku"], float(r["quantity"])))
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["date", "sku", "quantity"])
    for k in range(copies):
        factor = {}
        for d, sku, q in rows:
            if k == 0:
                w.writerow([d, sku, int(q) if q == int(q) else q])
                continue
            if sku not in factor:
                factor[sku] = rng.uniform(0.7, 1.3)
            v = q * factor[sku] * rng.uniform(0.8, 1.2)
            if q > 0 and rng.random() < 0.1:
                v = 0
            w.writerow([d, f"{sku}-{k}", round(v)])
