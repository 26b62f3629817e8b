#!/usr/bin/env python3
"""Two years of daily demand for speed benchmarks, made from one real year.

Reads a long series file (date,sku,quantity, as `supplycast ingest --out` writes it) and
writes the same SKUs over two years: the real year, preceded by a copy of it 364 days
earlier (same weekdays) with each SKU's quantities scaled by a seeded factor in
[0.8, 1.2] and rounded. For timing only: the copied year is not new information.

    supplycast ingest ../shared/data/online_retail_ii_2009-12_2010-12.csv.gz --top 1000 --out series.csv
    python3 scripts/two-year-bench-data.py series.csv two_years.csv
"""
import csv
import datetime as dt
import random
import sys

src, out = sys.argv[1], sys.argv[2]
rng = random.Random(1)
factor = {}
rows = []
with open(src, newline="") as f:
    for r in csv.DictReader(f):
        rows.append((r["date"], r["sku"], float(r["quantity"])))
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["date", "sku", "quantity"])
    for d, sku, q in rows:
        if sku not in factor:
            factor[sku] = rng.uniform(0.8, 1.2)
        early = dt.date.fromisoformat(d) - dt.timedelta(days=364)
        w.writerow([early.isoformat(), sku, round(q * factor[sku])])
    for d, sku, q in rows:
        w.writerow([d, sku, int(q) if q == int(q) else q])
