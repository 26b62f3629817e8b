"""The same forecast on Dask, partitioned by SKU.

Per-SKU work is independent except for one step: the automatic choice learns its
recipes across every SKU's backtests. So the forecast runs in three stages, each a
typed value passed to the next (as bytes, which Dask pickles between machines):

1. each partition of SKUs is backtested on its worker (`_native.backtest`);
2. the recipes are learnt once across every partition's backtests (`_native.learn`),
   and that small result is shipped to every worker;
3. each partition is forecast on its worker from its own backtests and the recipes
   (`_native.finish`).

Partitions are contiguous ranges of SKU codes in sorted order and every partition is
built on the whole table's calendar, so the result equals `supplycast.forecast` on one
machine, row for row and bit for bit.

Why Dask (not Spark): the core is a Python package here, and Dask runs plain Python
functions on pandas partitions with no JVM and no serialisation layer of its own;
`dask.distributed` scales the same code from a local cluster to many machines
(`dask-scheduler` / `dask-worker`, Kubernetes, YARN, HPC job queues).
"""

from __future__ import annotations

from typing import Optional

import dask
import dask.dataframe as dd
import pandas as pd

from . import _frame, _native
from ._native import SupplycastError


def _part_dataset(part: pd.DataFrame, k: int, bounds: tuple[str, int, int]) -> Optional[bytes]:
    if part.empty:
        return None
    skus, codes, days, qty = _frame.arrays(part.reset_index())
    freq, first, last = bounds
    return _native.dataset(f"partition {k}", skus, codes, days, qty, freq, first, last)


def _backtest(ds: Optional[bytes], h: Optional[int], windows: int, threads: int) -> bytes:
    return _native.backtest(ds, h, windows, threads)


def _learn(parts: list[bytes], h: int) -> bytes:
    return _native.learn(parts, h)


def _finish(ds, part, learning, k, h, windows, threads) -> pd.DataFrame:
    return _frame.forecast_frame(_native.finish(ds, part, learning, k, h, windows, threads))


_DEFAULT_H = {"daily": 28, "weekly": 8, "monthly": 6, "quarterly": 4}


def forecast(
    df,
    h: Optional[int] = None,
    freq: Optional[str] = None,
    windows: int = 3,
    npartitions: Optional[int] = None,
    threads: int = 1,
) -> pd.DataFrame:
    """`supplycast.forecast` on the Dask cluster of the current client (or Dask's
    default scheduler): `df` is a pandas or Dask DataFrame of `sku, date, quantity` (or
    `unique_id, ds, y`); `npartitions` SKU partitions (default: the input's);
    `threads` per task (give workers one thread each and leave this at 1, or one task
    per machine with all its cores). Returns the pandas DataFrame `sku, date, point,
    p10, p50, p90, model`, SKUs in code order, failures in `.attrs["failed"]`."""
    if isinstance(df, pd.DataFrame):
        df = dd.from_pandas(df, npartitions=npartitions or 1)
    if not isinstance(df, dd.DataFrame):
        raise SupplycastError("forecast: expected a pandas or Dask DataFrame")
    _frame.columns(df)
    meta = pd.DataFrame(
        {
            "sku": pd.Series(dtype="string"),
            "date": pd.Series(dtype="datetime64[ns]"),
            "quantity": pd.Series(dtype="float64"),
        }
    )
    table = df.map_partitions(_frame.normalise, "table", meta=meta)
    # The whole table's calendar, so that every partition's series line up with the
    # single-machine ones.
    days = _frame.days(table["date"].unique().compute())
    if len(days) == 0:
        raise SupplycastError("table: the table has no rows")
    bounds = _native.bounds(days, freq)
    horizon = h or _DEFAULT_H[bounds[0]]
    # Contiguous, sorted SKU ranges: partition k's codes all precede partition k+1's,
    # and every row of one SKU is in one partition.
    table = table.set_index("sku", npartitions=npartitions or table.npartitions)
    parts = table.to_delayed()
    datasets = [dask.delayed(_part_dataset)(p, k, bounds) for k, p in enumerate(parts)]
    backtests = [dask.delayed(_backtest)(ds, horizon, windows, threads) for ds in datasets]
    learning = dask.delayed(_learn)(backtests, horizon)
    frames = [
        dask.delayed(_finish)(ds, bt, learning, k, horizon, windows, threads)
        for k, (ds, bt) in enumerate(zip(datasets, backtests))
    ]
    done = dask.compute(*frames)
    out = pd.concat(done, ignore_index=True)
    failed = {}
    for f in done:
        failed.update(f.attrs.get("failed", {}))
    out.attrs["failed"] = failed
    return out
