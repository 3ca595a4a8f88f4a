"""JSON-lines front door to the pure parts (role mapping, geometry, element building) for the node unit test:
each input line {fn, args} -> one output line {result}. fn: classify | visible_box | visible_pieces | subtract |
elements (with args.with_ignore: {elements, ignore}) | match_and_elements (match_stacking first)."""
import json
import sys

from . import geometry, roles


def _elements(wins, nodes, screen, welded, row_controls=False, ignore=None):
    from . import walk_pure
    return walk_pure.elements(wins, nodes, screen, welded, row_controls=row_controls, ignore=ignore)


def _state_sets(nodes):
    """JSON lists of states -> the sets walk_pure reads."""
    for n in nodes:
        n['states'] = set(n.get('states', []))


def call(fn, args):
    if fn == 'classify':
        r = roles.classify(args['role'], args.get('name', ''), set(args.get('states', [])), args.get('width', 10),
                           args.get('height', 10), args.get('parent_role', ''), args.get('in_open_menu', False),
                           args.get('expandable_rows', False), args.get('image'), args.get('in_toolbar', False))
        return None if r is None else {'type': r[0], 'checked': r[1]}
    if fn == 'visible_box':
        return geometry.visible_box(*args)
    if fn == 'match_and_elements':  # match_stacking on args.xwins, then elements
        from . import walk_pure
        _state_sets(args['nodes'])
        walk_pure.match_stacking(args['wins'], args['xwins'])
        return _elements(args['wins'], args['nodes'], args['screen'], False)
    if fn == 'visible_pieces':
        return geometry.visible_pieces(*args)
    if fn == 'subtract':
        return geometry.subtract(*args)
    if fn == 'elements':
        _state_sets(args['nodes'])
        ignore = [] if args.get('with_ignore') else None
        els = _elements(args['wins'], args['nodes'], args['screen'], args.get('welded', False),
                        args.get('row_controls', False), ignore)
        return {'elements': els, 'ignore': ignore} if ignore is not None else els
    raise ValueError('unknown fn ' + fn)


def main():
    for line in sys.stdin:
        if line.strip():
            q = json.loads(line)
            print(json.dumps({'result': call(q['fn'], q['args'])}), flush=True)


if __name__ == '__main__':
    main()
