"""Leave-one-shape-out choice of the automatic choice's rule (issue 32).

Reads `bench-forecast --json --rules ...` outputs `<dir>/<shape>.val.json` (the
validation periods: each series without its last h periods, so the h held out there
end where the test's history ends) and `<dir>/<shape>.test.json` (the held-out last h
periods). For each shape, the rule is chosen on the OTHER shapes' validation periods
(lowest mean over those shapes of the rule's MASE over the best single model's MASE
there, scaled pinball the tie-break), then that rule's test row of the left-out shape
is reported beside the best single model, the pretrained model alone and seasonal
naive. Usage: loso.py DIR SHAPE... [--markdown]"""
import json, sys

args = [a for i, a in enumerate(sys.argv[1:]) if not a.startswith('--') and sys.argv[i] != '--default']
d, shapes = args[0], args[1:]
md = '--markdown' in sys.argv


def load(shape, part):
    j = json.load(open(f'{d}/{shape}.{part}.json'))
    return {m['model']: m['summary'] for m in j['models']}, j


def is_auto(k):
    return k == 'Auto' or k.startswith('Auto[')


def singles(rows):
    # Single models only: not the choice's rows, nor the pretrained model with its own
    # quantiles (the same point forecast as its row with the engine's intervals).
    return {k: v for k, v in rows.items() if not is_auto(k) and not k.startswith('pretrained (')}


def rel(rows, rule):
    s = singles(rows)
    best = min(v['mase'] for v in s.values())
    return rows[rule]['mase'] / best


val = {s: load(s, 'val')[0] for s in shapes}
test = {s: load(s, 'test')[0] for s in shapes}
# The rules every shape's runs scored (runs made at different times may differ).
rules = [k for k in val[shapes[0]] if is_auto(k)
         and all(k in val[s] and k in test[s] for s in shapes)]
# The label of the default rule (the bench's "Auto" row), as its other rows name rules.
DEFAULT = 'Auto[' + (sys.argv[sys.argv.index('--default') + 1] if '--default' in sys.argv else 'Strong z2 m0.02 k3') + ']'


def caution(r):
    # The most cautious rule: a default (not "None"), then the largest z, then margin.
    if r == 'Auto':
        r = DEFAULT
    if not r.startswith('Auto['):
        return (0, 0.0, 0.0, 0)
    a, z, m, k = r[5:-1].split(' ')
    return (a != 'None', float(z[1:]), float(m[1:]), int(k[1:]))


def pick(others):
    """The rule with the lowest mean validation ratio over `others`; among those within
    0.002 of it (noise: the ratios of rules that differ in one group move by that much),
    the most cautious."""
    score = {r: sum(rel(val[o], r) for o in others) / len(others) for r in rules}
    best = min(score.values())
    near = [r for r in rules if score[r] <= best + 0.002]
    return max(near, key=lambda r: (caution(r), r))


print('| shape | rule chosen on the other shapes | default MASE | best single (MASE) | pretrained | SeasonalNaive | default / best | SQL default / best single | 80 % coverage |')
print('|---|---|---|---|---|---|---|---|---|')
within = 0
ratios = []
for s in shapes:
    r = pick([o for o in shapes if o != s])
    t = test[s]
    sg = singles(t)
    bname = min(sg, key=lambda k: sg[k]['mase'])
    b = sg[bname]
    a = t[r]
    ratio = a['mase'] / b['mase']
    ratios.append(ratio)
    within += ratio <= 1.01
    pre = sg.get('pretrained', {}).get('mase', float('nan'))
    bsql = min(v['sql_mean'] for v in sg.values())
    print(f"| {s} | {r} | {a['mase']:.3f} | {bname} ({b['mase']:.3f}) | {pre:.3f} | {sg['SeasonalNaive']['mase']:.3f} | {ratio:.3f} | {a['sql_mean']:.3f} / {bsql:.3f} | {a['coverage80']:.3f} |")
print()
print(f'shapes where the left-out default is within 1 % of the best single model: {within} of {len(shapes)}; worst ratio {max(ratios):.3f}, mean {sum(ratios)/len(ratios):.3f}')
allpick = pick(shapes)
print()
print(f'rule chosen on all shapes\' validation periods: {allpick}')
print()
print('All rules, test MASE / best single, per shape:')
print('| rule | ' + ' | '.join(shapes) + ' | mean | val mean |')
print('|---|' + '---|' * (len(shapes) + 2))
for r in rules:
    tr = [rel(test[s], r) for s in shapes]
    vr = [rel(val[s], r) for s in shapes]
    print(f'| {r} | ' + ' | '.join(f'{x:.3f}' for x in tr) + f' | {sum(tr)/len(tr):.3f} | {sum(vr)/len(vr):.3f} |')
