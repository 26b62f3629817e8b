"""DataFrames to the flat arrays the native core takes, and back; validated once, here,
with the row and column named in every error."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._native import SupplycastError

#: The column names accepted, in the order tried: supplycast's own and Nixtla's.
NAMES = (("sku", "date", "quantity"), ("unique_id", "ds", "y"))


def columns(df: pd.DataFrame) -> tuple[str, str, str]:
    """The (sku, date, quantity) columns of `df`."""
    for names in NAMES:
        if all(c in df.columns for c in names):
            return names
    found = ", ".join(map(str, df.columns))
    raise SupplycastError(
        f"expected columns sku, date, quantity (or Nixtla's unique_id, ds, y); found: {found}"
    )


def _first_bad(mask: np.ndarray) -> int | None:
    bad = np.flatnonzero(mask)
    return int(bad[0]) if len(bad) else None


def normalise(df: pd.DataFrame, name: str = "table") -> pd.DataFrame:
    """`df` as columns sku (str), date (datetime64[ns] at midnight) and quantity (float64),
    refusing a missing SKU, an unreadable date or quantity with its row (counting from 1
    in `df`'s order) and index label."""
    sku_c, date_c, qty_c = columns(df)
    raw_sku, raw_date, raw_qty = df[sku_c], df[date_c], df[qty_c]

    def refuse(pos: int, column: str, value: object, why: str) -> SupplycastError:
        label = df.index[pos]
        return SupplycastError(
            f"{name}: row {pos + 1} (index {label!r}), column {column}: {value!r} {why}"
        )

    pos = _first_bad(raw_sku.isna().to_numpy())
    if pos is not None:
        raise refuse(pos, sku_c, raw_sku.iloc[pos], "is not a SKU")
    skus = raw_sku.astype(str).str.strip()
    pos = _first_bad((skus == "").to_numpy())
    if pos is not None:
        raise refuse(pos, sku_c, raw_sku.iloc[pos], "is not a SKU")
    dates = pd.to_datetime(raw_date, errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    pos = _first_bad(dates.isna().to_numpy())
    if pos is not None:
        raise refuse(pos, date_c, raw_date.iloc[pos], "is not a date")
    qty = pd.to_numeric(raw_qty, errors="coerce").astype("float64")
    pos = _first_bad(~np.isfinite(qty.to_numpy()))
    if pos is not None:
        raise refuse(pos, qty_c, raw_qty.iloc[pos], "is not a number")
    return pd.DataFrame(
        {
            "sku": skus.astype("string"),
            "date": dates.dt.normalize().astype("datetime64[ns]"),
            "quantity": qty,
        },
        index=df.index,
    )


def days(dates: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 as int64."""
    return np.ascontiguousarray(dates.to_numpy().astype("datetime64[D]").astype(np.int64))


def arrays(df: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """A normalised frame as (SKU names, per-row SKU index, days, quantities)."""
    codes, names = pd.factorize(df["sku"], sort=True)
    return (
        [str(s) for s in names],
        np.ascontiguousarray(codes.astype(np.uint32)),
        days(df["date"]),
        np.ascontiguousarray(df["quantity"].to_numpy(dtype=np.float64)),
    )


FORECAST_COLUMNS = ["sku", "date", "point", "p10", "p50", "p90", "model"]


def forecast_frame(result) -> pd.DataFrame:
    """The native forecast arrays as a DataFrame `sku, date, point, p10, p50, p90, model`;
    SKUs without a forecast (and why) in `.attrs["failed"]`."""
    codes, models, failed, idx, day, (point, p10, p50, p90) = result
    idx = np.asarray(idx, dtype=np.int64)
    codes = np.asarray(codes, dtype=object)
    models = np.asarray(models, dtype=object)
    out = pd.DataFrame(
        {
            "sku": codes[idx] if len(codes) else np.array([], dtype=object),
            "date": np.asarray(day, dtype="datetime64[D]").astype("datetime64[ns]"),
            "point": point,
            "p10": p10,
            "p50": p50,
            "p90": p90,
            "model": models[idx] if len(models) else np.array([], dtype=object),
        },
        columns=FORECAST_COLUMNS,
    )
    out.attrs["failed"] = dict(failed)
    return out
