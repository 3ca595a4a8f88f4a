"""Apply the model-selection rule of docs/MODELS.md ("Issue 15 retrain") to two `npm run eval -- --json FILE` reports
made on the same samples: the shipped pair (baseline) and a candidate. Prints the figures side by side and PASS/FAIL.

python3 scripts/train/select_candidate.py --baseline shipped.json --candidate cand.json [--markdown] [--group pooled]
    [--fresh-baseline shipped-fresh.json --fresh-candidate cand-fresh.json]

--group heldout (default; rounds 1-5) judges each family on its held-out applications; --group pooled (round 6 on,
docs/MODELS.md "Round 6") on the held-out and fresh applications pooled per family: the reports must be made over
both sets at once (`npm run eval -- --real-apps <a folder holding both>`), whose `pooled` group is one AP over all
their boxes. A report without it (no fresh samples, or written before it existed) fails the rule.

The fresh set (split `fresh`, docs/DATASET.md; round 5's rule): applications no round has used. When both fresh
reports are given, the candidate's AP@0.5 and click-hit on each family's fresh apps may not be lower than the
baseline's by more than 0.02 (a guard: the held-out apps decide, the fresh apps catch a candidate tuned to them).

A classifier-only candidate (the rule's fallback: the new classifier with the shipped detector) runs the very same
detector file (same sha256 in both reports), so its held-out AP@0.5 cannot be higher: for it the AP check is "the same
to 1e-9" (anything else means the reports were not made on the same samples), and click-hit must still be higher.
"""
import argparse
import json
import sys

FAMILIES = ('atspi', 'wine', 'webwin')
OLD_SETS = ('(a)', '(b)', '(c)')
MAX_OLD_DROP = 0.02
MAX_FRESH_DROP = 0.02


def figures(path, group='heldout'):
    with open(path) as f:
        d = json.load(f)
    out = {'models': {k: v.get('version') for k, v in d.get('models', {}).items()},
           'sha256': {k: v.get('sha256') for k, v in d.get('models', {}).items()}}
    for r in d.get('results', []):
        key = r['name'].split(' ')[0]
        out[key] = {'ap50': r['detector']['mAP50'], 'top1': r['classifier']['top1'], 'images': r['images']}
    for fam in (d.get('real') or {}).get('families', []):
        # pooled: a family without fresh apps (webwin) is its held-out apps (reports made before the eval wrote
        # `pooled` for such a family say so by an empty fresh group); a family with fresh apps needs `pooled`
        no_fresh = 'fresh' in fam and not ((fam['fresh'] or {}).get('all') or {}).get('images')
        h = fam['heldout']['all'] if group == 'heldout' or (no_fresh and not fam.get('pooled')) else fam.get('pooled')
        if h:
            out[fam['family']] = summary(h, ('ap50_95',))
    return out


def summary(h, extra=()):
    """The figures the rule and the table read from one group's summary of an eval report."""
    return {k: h[k] for k in ('ap50', 'clickHit', 'typeTop1', 'recall', 'precision', 'images', 'elements', *extra)}


def fresh_figures(path):
    """Per family, the fresh applications' figures of an `npm run eval -- --real-apps <fresh-apps>` report."""
    with open(path) as f:
        d = json.load(f)
    out = {'sha256': {k: v.get('sha256') for k, v in d.get('models', {}).items()}}
    for fam in (d.get('real') or {}).get('families', []):
        h = (fam.get('fresh') or {}).get('all')
        if h and h.get('images'):
            out[fam['family']] = summary(h)
    return out


def judge_fresh(base, cand):
    """The fresh guard: per family present in the baseline's report, AP@0.5 and click-hit drop at most 0.02."""
    checks = []
    fams = [f for f in base if f != 'sha256']
    if not fams:
        checks.append(('fresh report has families', False, 'none'))
    for fam in fams:
        if fam not in cand:
            checks.append((f'{fam} fresh present', False, 'missing'))
            continue
        for m in ('ap50', 'clickHit'):
            b, c = base[fam][m], cand[fam][m]
            checks.append((f'{fam} fresh {m} drop <= {MAX_FRESH_DROP}', b - c <= MAX_FRESH_DROP, f'{b:.4f} -> {c:.4f}'))
    return checks


def same_detector(base, cand):
    b, c = base.get('sha256', {}).get('detector'), cand.get('sha256', {}).get('detector')
    return b is not None and b == c


def judge(base, cand, group='heldout'):
    label = 'held-out' if group == 'heldout' else 'held-out+fresh pooled'
    checks = []
    cls_only = same_detector(base, cand)
    for fam in FAMILIES:
        if fam not in base or fam not in cand:
            checks.append((f'{fam} {label} present', False, 'missing'))
            continue
        b, c = base[fam], cand[fam]
        if cls_only:
            checks.append((f'{fam} {label} ap50 unchanged (same detector file)', abs(c['ap50'] - b['ap50']) <= 1e-9, f"{b['ap50']:.4f} -> {c['ap50']:.4f}"))
        else:
            checks.append((f'{fam} {label} ap50', c['ap50'] > b['ap50'], f"{b['ap50']:.4f} -> {c['ap50']:.4f}"))
        checks.append((f'{fam} {label} clickHit', c['clickHit'] > b['clickHit'], f"{b['clickHit']:.4f} -> {c['clickHit']:.4f}"))
    for s in OLD_SETS:
        if s not in base or s not in cand:
            checks.append((f'{s} present', False, 'missing'))
            continue
        for m in ('ap50', 'top1'):
            checks.append((f'{s} {m} drop <= {MAX_OLD_DROP}', base[s][m] - cand[s][m] <= MAX_OLD_DROP, f'{base[s][m]:.4f} -> {cand[s][m]:.4f}'))
    return checks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--baseline', required=True)
    ap.add_argument('--candidate', required=True)
    ap.add_argument('--markdown', action='store_true')
    ap.add_argument('--group', choices=('heldout', 'pooled'), default='heldout',
                    help='which applications judge each family: held-out (rounds 1-5) or held-out and fresh pooled (round 6 on)')
    ap.add_argument('--fresh-baseline', help='the baseline\'s report on the fresh applications (with --fresh-candidate)')
    ap.add_argument('--fresh-candidate', help='the candidate\'s report on the fresh applications')
    a = ap.parse_args()
    if bool(a.fresh_baseline) != bool(a.fresh_candidate):
        ap.error('--fresh-baseline and --fresh-candidate go together')
    base, cand = figures(a.baseline, a.group), figures(a.candidate, a.group)
    fresh = (fresh_figures(a.fresh_baseline), fresh_figures(a.fresh_candidate)) if a.fresh_baseline else None
    print('baseline', base['models'], '| candidate', cand['models'])
    if a.markdown:
        print(f"| family ({'held-out apps' if a.group == 'heldout' else 'held-out + fresh apps pooled'}) | images / elements | AP@0.5 | AP@0.5:0.95 | precision | recall | type top-1 | click-hit |")
        print('| --- | --- | --- | --- | --- | --- | --- | --- |')
        for fam in FAMILIES:
            if fam in base and fam in cand:
                b, c = base[fam], cand[fam]
                cell = lambda m: f'{b[m]:.3f} → **{c[m]:.3f}**'  # noqa: E731
                print(f"| {fam} | {c['images']} / {c['elements']} | {cell('ap50')} | {cell('ap50_95')} | {cell('precision')} | "
                      f"{cell('recall')} | {cell('typeTop1')} | {cell('clickHit')} |")
        for s in OLD_SETS:
            if s in base and s in cand:
                print(f"| {s} old set ({cand[s]['images']} images) | | {base[s]['ap50']:.3f} → **{cand[s]['ap50']:.3f}** | | | | "
                      f"{base[s]['top1']:.3f} → **{cand[s]['top1']:.3f}** (label top-1) | |")
        if fresh:
            fb, fc = fresh
            for fam in [f for f in fb if f != 'sha256' and f in fc]:
                b, c = fb[fam], fc[fam]
                cell = lambda m: f'{b[m]:.3f} → **{c[m]:.3f}**'  # noqa: E731
                print(f"| {fam} (fresh apps) | {c['images']} / {c['elements']} | {cell('ap50')} | | {cell('precision')} | "
                      f"{cell('recall')} | {cell('typeTop1')} | {cell('clickHit')} |")
    ok = True
    for name, passed, detail in judge(base, cand, a.group) + (judge_fresh(*fresh) if fresh else []):
        ok &= passed
        print(f"{'ok  ' if passed else 'FAIL'} {name}: {detail}")
    print('PASS: the candidate may ship' if ok else 'FAIL: keep the shipped models')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
