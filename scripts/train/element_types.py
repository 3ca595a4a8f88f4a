"""The element type set, read from its ONE table: src/common/element-types.ts (issue 15 §2). The training recipes
never restate it: the classifier's labels are derived from it here (check box / radio / toggle carry their state
in the label, every other type is its own label), in the table's order.

python3 scripts/train/element_types.py        prints {"types": [...], "classifierLabels": [...]} as JSON
"""
import json
import os
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
TABLE = os.path.join('src', 'common', 'element-types.ts')
# The types whose checked state is part of the classifier label (labels.ts labelToKind strips these suffixes).
STATE_LABELS = {'checkbox': ('checkbox_checked', 'checkbox_unchecked'), 'radio': ('radio_checked', 'radio_unchecked'),
                'toggle': ('toggle_on', 'toggle_off')}

_SCRIPT = ("const m = await import(process.argv[1]);"
           "process.stdout.write(JSON.stringify(m.ELEMENT_TYPES.map((t) => t.type)));")


def load_types(repo=REPO):
    """The `type` strings of ELEMENT_TYPES, in table order, by importing the TypeScript module with node + tsx
    (the project's own toolchain), so there is no second copy of the list to drift."""
    path = os.path.join(repo, TABLE)
    if not os.path.isfile(path):
        raise SystemExit(f'error: the element type table is missing: {path}')
    try:
        out = subprocess.run(['node', '--import', 'tsx', '--input-type=module', '-e', _SCRIPT, 'file://' + path],
                             cwd=repo, capture_output=True, text=True, check=True, timeout=120).stdout
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        raise SystemExit(f'error: could not read {TABLE} with node + tsx: {e}; stderr: {getattr(e, "stderr", "")}')
    types = json.loads(out)
    if not types or len(set(types)) != len(types) or not all(isinstance(t, str) and t for t in types):
        raise SystemExit(f'error: {TABLE} gave an unusable type list: {types!r}')
    return types


def classifier_labels(types):
    out = []
    for t in types:
        out.extend(STATE_LABELS.get(t, (t,)))
    return out


if __name__ == '__main__':
    ts = load_types()
    print(json.dumps({'types': ts, 'classifierLabels': classifier_labels(ts)}))
