/**
 * The controller API's OpenAPI 3.1 document (issue 19 §1): the committed docs/openapi.json is what the
 * route table makes (drift: run `npm run schemas`), and every route is in it with its role, its
 * security and its schemas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildOpenApiDocument, renderOpenApi } from '../../src/fleet/api/openapi.js';
import { matchRoute, ROUTES } from '../../src/fleet/api/routes.js';

const root = resolve(import.meta.dirname, '..', '..');

test('docs/openapi.json matches the route table (else: npm run schemas)', () => {
  assert.equal(readFileSync(join(root, 'docs', 'openapi.json'), 'utf8'), renderOpenApi());
});

test('every route is documented with its role, bearer security (not on public routes), parameters and body schema', () => {
  const doc = buildOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, any>> };
  assert.equal(doc.openapi, '3.1.0');
  const ids = new Set<string>();
  for (const r of ROUTES) {
    const op = doc.paths[r.path]?.[r.method.toLowerCase()];
    assert.ok(op, `${r.method} ${r.path} is missing`);
    assert.equal(op['x-rpa-role'], r.role);
    assert.deepEqual(op.security, r.role === 'public' ? [] : [{ bearerAuth: [] }]);
    assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
    ids.add(op.operationId);
    for (const name of [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) assert.ok(op.parameters.some((p: { name: string; in: string }) => p.name === name && p.in === 'path'), `${r.path}: path parameter ${name}`);
    if (r.body) assert.equal(op.requestBody.content['application/json'].schema.type, 'object');
    if (r.role !== 'public') assert.ok(op.responses['403'], `${r.path}: 403 documented`);
    if (r.method === 'POST') assert.notEqual(r.role, 'viewer', `${r.path}: a viewer never mutates`);
  }
  assert.equal(doc.paths['/api/v1/rollouts']!['post'].requestBody.content['application/json'].schema.properties.role.enum.join(','), 'detector,classifier,similarity');
});

test('route matching: templates, decoding, 405 lists the allowed methods', () => {
  const m = matchRoute('GET', '/api/v1/models/ui-detector%401.2.0');
  assert.ok(m.route);
  assert.equal(m.params['ref'], 'ui-detector@1.2.0');
  const no = matchRoute('DELETE', '/api/v1/rollouts/ro-1');
  assert.ok(!no.route && no.allowed.includes('GET'));
  assert.ok(!matchRoute('GET', '/api/v1/rollouts/a/b/c').route);
});
