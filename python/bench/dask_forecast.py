"""Benchmark: rows/s of the distributed forecast on a Dask local cluster with 1 and 2
workers, against the single-process forecast in the same run, on N SKUs replicated
from the shared Online Retail II export (weekly by default: every SKU's series is the
export's, under new codes).

    python python/bench/dask_forecast.py [--skus 100000] [--freq weekly] [--partitions 16]

Prints one line per run: rows, seconds, rows/s, and the ratio to the single process.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import supplycast
from supplycast import distributed

EXPORT = Path(__file__).resolve().parents[3] / "shared" / "data" / "online_retail_ii_2009-12_2010-12.csv.gz"


def replicated(n: int, freq: str) -> pd.DataFrame:
    base = supplycast.read_export(EXPORT, freq=freq)
    skus = base["sku"].unique()
    parts, k = [], 0
    while k * len(skus) < n:
        take = skus[: min(len(skus), n - k * len(skus))]
        part = base[base["sku"].isin(take)].copy()
        part["sku"] = f"r{k:03d}-" + part["sku"]
        parts.append(part)
        k += 1
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skus", type=int, default=100_000)
    ap.add_argument("--freq", default="weekly")
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--workers", default="1,2")
    a = ap.parse_args()
    from dask.distributed import Client, LocalCluster
    import dask.dataframe as dd

    df = replicated(a.skus, a.freq)
    rows = len(df)
    print(f"{df['sku'].nunique()} SKUs, {rows} rows ({a.freq}), {a.partitions} partitions")
    t = time.perf_counter()
    single = supplycast.forecast(df)
    base = time.perf_counter() - t
    print(f"single process (all cores): {base:.1f} s, {rows / base:,.0f} rows/s, 1.00x")
    for w in map(int, a.workers.split(",")):
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            with Client(c):
                ddf = dd.from_pandas(df, npartitions=a.partitions)
                t = time.perf_counter()
                got = distributed.forecast(ddf, npartitions=a.partitions)
                s = time.perf_counter() - t
        same = got.equals(single)
        print(
            f"dask, {w} worker(s) x 1 thread: {s:.1f} s, {rows / s:,.0f} rows/s, "
            f"{base / s:.2f}x the single process; equal to it: {same}"
        )


if __name__ == "__main__":
    main()
