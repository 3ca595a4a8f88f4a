"""Unit tests of the model-selection rule (select_candidate.py, docs/MODELS.md "Issue 15 retrain").
/usr/bin/python3 -m unittest scripts/train/test_select_candidate.py"""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from select_candidate import figures, judge, judge_fresh  # noqa: E402


def report(det_sha, ap, click, old_ap=0.8, old_top1=0.9):
    r = {'models': {}, 'sha256': {'detector': det_sha, 'classifier': 'c'}}
    for fam in ('atspi', 'wine', 'webwin'):
        r[fam] = {'ap50': ap, 'clickHit': click}
    for s in ('(a)', '(b)', '(c)'):
        r[s] = {'ap50': old_ap, 'top1': old_top1}
    return r


def passed(checks):
    return all(ok for _, ok, _ in checks)


class Rule(unittest.TestCase):
    def test_pair_needs_higher_ap_and_click_hit(self):
        self.assertTrue(passed(judge(report('d1', 0.5, 0.5), report('d2', 0.6, 0.6))))
        self.assertFalse(passed(judge(report('d1', 0.5, 0.5), report('d2', 0.5, 0.6))))
        self.assertFalse(passed(judge(report('d1', 0.5, 0.5), report('d2', 0.6, 0.5))))

    def test_classifier_only_candidate_keeps_the_same_ap_and_needs_higher_click_hit(self):
        self.assertTrue(passed(judge(report('d1', 0.5, 0.5), report('d1', 0.5, 0.6))))
        # same detector file but a different AP: not the same samples
        self.assertFalse(passed(judge(report('d1', 0.5, 0.5), report('d1', 0.49, 0.6))))
        self.assertFalse(passed(judge(report('d1', 0.5, 0.5), report('d1', 0.5, 0.5))))

    def test_old_sets_may_drop_at_most_002(self):
        self.assertTrue(passed(judge(report('d1', 0.5, 0.5), report('d1', 0.5, 0.6, old_ap=0.781, old_top1=0.881))))
        self.assertFalse(passed(judge(report('d1', 0.5, 0.5), report('d1', 0.5, 0.6, old_top1=0.87))))

    def test_fresh_guard_allows_a_small_drop_and_refuses_a_larger_one(self):
        def fresh(ap, click):
            return {'sha256': {}, 'atspi': {'ap50': 0.7, 'clickHit': 0.7}, 'wine': {'ap50': ap, 'clickHit': click}}
        self.assertTrue(passed(judge_fresh(fresh(0.5, 0.5), fresh(0.485, 0.6))))
        self.assertFalse(passed(judge_fresh(fresh(0.5, 0.5), fresh(0.47, 0.6))))
        self.assertFalse(passed(judge_fresh(fresh(0.5, 0.5), fresh(0.6, 0.47))))
        # a family of the baseline's fresh report missing from the candidate's, or no family at all, fails
        self.assertFalse(passed(judge_fresh(fresh(0.5, 0.5), {'sha256': {}, 'atspi': {'ap50': 0.7, 'clickHit': 0.7}})))
        self.assertFalse(passed(judge_fresh({'sha256': {}}, {'sha256': {}})))


class Groups(unittest.TestCase):
    def write(self, fam_entry):
        fd, path = tempfile.mkstemp(suffix='.json')
        with os.fdopen(fd, 'w') as f:
            json.dump({'models': {}, 'results': [], 'real': {'families': [fam_entry]}}, f)
        self.addCleanup(os.remove, path)
        return path

    def test_pooled_group_reads_the_pooled_summary_and_a_report_without_it_has_no_family(self):
        def g(ap):
            return {'ap50': ap, 'clickHit': 0.5, 'typeTop1': 0.5, 'recall': 0.5, 'precision': 0.5, 'images': 1, 'elements': 2, 'ap50_95': 0.3}
        path = self.write({'family': 'atspi', 'heldout': {'all': g(0.7)}, 'pooled': g(0.6)})
        self.assertEqual(figures(path)['atspi']['ap50'], 0.7)
        self.assertEqual(figures(path, 'pooled')['atspi']['ap50'], 0.6)
        old = self.write({'family': 'atspi', 'heldout': {'all': g(0.7)}})
        self.assertNotIn('atspi', figures(old, 'pooled'))
        # and the rule then fails on the missing family
        self.assertFalse(passed(judge(figures(old, 'pooled'), figures(path, 'pooled'), 'pooled')))
        # but an old report whose family has no fresh apps (webwin) reads its held-out figures, which are the pooled ones
        no_fresh = self.write({'family': 'webwin', 'heldout': {'all': g(0.7)}, 'fresh': {'all': None, 'apps': []}})
        self.assertEqual(figures(no_fresh, 'pooled')['webwin']['ap50'], 0.7)
        with_fresh = self.write({'family': 'wine', 'heldout': {'all': g(0.7)}, 'fresh': {'all': g(0.2), 'apps': []}})
        self.assertNotIn('wine', figures(with_fresh, 'pooled'))


if __name__ == '__main__':
    unittest.main()
