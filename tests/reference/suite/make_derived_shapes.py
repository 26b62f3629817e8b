"""Writes the quality suite's shapes derived from the shared export, and every shape's
validation file. Reads OUT_DIR/{daily,weekly_all,daily1500,weekly1500}.csv (written by
`supplycast ingest`, see scripts/quality-suite.sh) and the public shapes (make_public_shapes.py,
make_extra_shapes.py), writes:
  daily_tail, weekly_tail - SKUs ranked 501..1,500 by units (weekly: >= 40 weeks);
  daily_new, weekly_new   - the 500 best sellers' last 56 + 28 days / 12 + 8 weeks;
  <shape>.val.csv         - every series without its last h periods (for daily_new and
                            weekly_new: the 56 / 12 periods before those h, then h).
pandas 2.x. Usage: make_derived_shapes.py OUT_DIR"""
import os, sys
import pandas as pd

out = sys.argv[1]


def read(name):
    return pd.read_csv(os.path.join(out, f'{name}.csv'), dtype={'sku': str}).sort_values(['sku', 'date'])


def write(d, name):
    d.to_csv(os.path.join(out, f'{name}.csv'), index=False)


def drop_last(d, h):
    return d.groupby('sku', group_keys=False).apply(lambda g: g.iloc[:-h] if len(g) > h else g.iloc[:0])


for src, top, min_len, name in [('daily1500', 'daily', 1, 'daily_tail'), ('weekly1500', 'weekly_all', 40, 'weekly_tail')]:
    d = read(src)
    d = d[~d.sku.isin(set(read(top).sku))]
    n = d.groupby('sku').size()
    write(d[d.sku.isin(n[n >= min_len].index)], name)
for src, name, k, h in [('daily', 'daily_new', 56, 28), ('weekly_all', 'weekly_new', 12, 8)]:
    d = read(src)
    write(d.groupby('sku', group_keys=False).tail(k + h), name)
    write(drop_last(d, h).groupby('sku', group_keys=False).tail(k + h), f'{name}.val')
for name, h in [('daily', 28), ('weekly', 8), ('daily_tail', 28), ('weekly_tail', 8), ('m3_monthly', 18),
                ('m3_quarterly', 8), ('m1_monthly', 18), ('m1_quarterly', 8), ('tourism_monthly', 24),
                ('tourism_quarterly', 8), ('births_weekly', 13), ('txhousing_volume_monthly', 12),
                ('birdstrikes_monthly', 12), ('seattlepets_daily', 28)]:
    write(drop_last(read(name), h), f'{name}.val')
