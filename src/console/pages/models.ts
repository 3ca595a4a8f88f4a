/**
 * The model registry: every published name@version with its role, model id, state (active,
 * deprecated, yanked) and provenance — who published it and when, the signed manifest's signers, and
 * the marks with their reasons.
 */
import { apiGet } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, shortId } from '../format.js';
import { badge, errorBox, section, table } from '../widgets.js';
import type { Page } from './page.js';

interface ModelRow {
  name: string;
  version: string;
  role: string;
  modelId: string;
  state: string;
  publishedBy?: string;
  publishedAt?: string;
  marks?: { mark: string; reason: string; actor: string; ts: string }[];
  envelope?: { payloadType?: string; signatures?: { keyid?: string }[] };
  provenance?: Record<string, unknown>;
}

function provenance(m: ModelRow): HTMLElement {
  const items: [string, string][] = [];
  if (m.publishedBy) items.push(['published by', m.publishedBy]);
  if (m.publishedAt) items.push(['published', dateTime(m.publishedAt)]);
  for (const sig of m.envelope?.signatures ?? []) items.push(['signed by key', sig.keyid ?? '(no key id)']);
  for (const [k, v] of Object.entries(m.provenance ?? {})) items.push([k, typeof v === 'string' ? v : JSON.stringify(v)]);
  for (const mk of m.marks ?? []) items.push([mk.mark, `${mk.reason} — ${mk.actor}, ${dateTime(mk.ts)}`]);
  return h('dl', { class: 'prov' }, items.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

export const modelsPage: Page = async (ctx) => {
  const body = h('div', { id: 'models-body', 'aria-busy': 'true' }, 'Loading…');
  replace(ctx.root, h('h1', {}, 'Model registry'), body);
  try {
    const d = await apiGet<{ models: ModelRow[] }>('/api/v1/models');
    const tone = (s: string) => (s === 'yanked' ? 'bad' : s === 'deprecated' ? 'warn' : 'ok');
    replace(
      body,
      section(
        'reg-h',
        'Published models',
        table(
          'Models by name and version, with provenance',
          ['Model', 'Role', 'Model id', 'State', 'Provenance'],
          d.models.map((m) => [h('strong', {}, `${m.name}@${m.version}`), m.role, h('code', { title: m.modelId }, shortId(m.modelId)), badge(tone(m.state), m.state), provenance(m)]),
          { empty: 'No model has been published to this controller.', id: 'models-table' },
        ),
      ),
    );
  } catch (e) {
    replace(body, errorBox(e));
  }
  body.setAttribute('aria-busy', 'false');
  ctx.painted();
  return () => {};
};
