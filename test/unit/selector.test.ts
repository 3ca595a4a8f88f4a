import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSelector, matchesSelector, parseSelector, takesCandidate } from '../../src/common/selector.js';
import { inCandidateCohort } from '../../src/common/bucket.js';
import { CandidateSchema } from '../../src/common/wire.js';

test('selector: equality and `in`, ANDed; missing labels fail; formatting round-trips', () => {
  const reqs = parseSelector('site=berlin, dept in (finance, hr)');
  assert.deepEqual(reqs, [{ key: 'site', values: ['berlin'] }, { key: 'dept', values: ['finance', 'hr'] }]);
  assert.equal(formatSelector(reqs), 'site=berlin,dept in (finance,hr)');
  assert.deepEqual(parseSelector(formatSelector(reqs)), reqs);
  assert.equal(matchesSelector('site=berlin,dept in (finance,hr)', { site: 'berlin', dept: 'hr' }), true);
  assert.equal(matchesSelector('site=berlin,dept in (finance,hr)', { site: 'berlin', dept: 'it' }), false);
  assert.equal(matchesSelector('site=berlin,dept in (finance,hr)', { site: 'paris', dept: 'hr' }), false);
  assert.equal(matchesSelector('site=berlin', { dept: 'hr' }), false, 'a missing label does not match');
  assert.equal(matchesSelector('site=berlin', { constructor: 'x' }), false);
  assert.equal(matchesSelector(undefined, {}), true, 'no selector selects everyone');
  assert.equal(matchesSelector('', {}), true);
});

test('selector: bad input is a coded bad_argument naming the part; unparseable selectors match nobody', () => {
  for (const bad of ['site', 'site==berlin', 'site=', 'dept in finance', 'dept in (a,(b))', 'dept in (a', 'si te=x', 'site!=berlin', 'a=b,', `k=${'v'.repeat(64)}`]) {
    assert.throws(() => parseSelector(bad), (e: Error & { code?: string }) => e.code === 'bad_argument' && e.message.includes('selector'), bad);
    assert.equal(matchesSelector(bad, { site: 'berlin', dept: 'a' }), false, bad);
  }
  assert.equal(CandidateSchema.safeParse({ modelId: 'a'.repeat(64), rolloutId: 'r1', percent: 5, selector: 'site=' }).success, false);
  assert.equal(CandidateSchema.safeParse({ modelId: 'a'.repeat(64), rolloutId: 'r1', percent: 5, selector: 'site=berlin' }).success, true);
});

test('selector: takesCandidate = bucket AND selector', () => {
  const ids = Array.from({ length: 200 }, (_, i) => `agent-${i}`);
  const c = { rolloutId: 'ro-1', percent: 50, selector: 'site=berlin' };
  for (const id of ids) {
    assert.equal(takesCandidate(id, { site: 'berlin' }, c), inCandidateCohort(id, 'ro-1', 50));
    assert.equal(takesCandidate(id, { site: 'paris' }, c), false);
  }
  assert.equal(takesCandidate('agent-1', {}, { rolloutId: 'ro-1', percent: 100 }), true);
});
