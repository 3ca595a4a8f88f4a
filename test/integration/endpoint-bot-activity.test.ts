/**
 * The endpoint tells the download pacer when a bot's heavy request runs (src/agent/fetch-pacing.ts BotActivity,
 * issue 17 §2: a download gives way to a running detect): the real endpoint server with the ONNX harness services
 * (test/helpers/endpoint-harness.ts says what is real; slowRuns makes a detect take ~100 ms), a real client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBotEndpoint } from '../../src/agent/endpoint/server.js';
import { connect } from '../../src/agent/endpoint/client.js';
import { newEndpointSecret } from '../../src/agent/endpoint/handshake.js';
import { botActivity } from '../../src/agent/fetch-pacing.js';
import { OnnxTestServices, drawScreen } from '../helpers/endpoint-harness.js';

test('botActivity is busy exactly while a detect runs through the endpoint, also when it fails (timeout)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-bots-'));
  const services = await OnnxTestServices.create({ slowRuns: 3 });
  const secret = newEndpointSecret();
  const path = join(dir, 'endpoint.sock');
  const ep = await startBotEndpoint({ path, secret, services, agentVersion: '0.1.0-test' });
  const bot = await connect({ path, secret });
  try {
    const png = (await drawScreen(64, 64, [{ x: 8, y: 8, w: 16, h: 16, color: '#000' }])).toString('base64');
    assert.equal(botActivity.busy, false);
    let sawBusy = false;
    const poll = setInterval(() => void (sawBusy ||= botActivity.busy), 2);
    try {
      await bot.call('detect', { source: { kind: 'png', png } });
    } finally {
      clearInterval(poll);
    }
    assert.ok(sawBusy, 'busy while the detect ran');
    assert.equal(botActivity.busy, false, 'idle once answered');
    await assert.rejects(bot.call('detect', { source: { kind: 'png', png }, timeoutMs: 5 }));
    const end = Date.now() + 5000;
    while (botActivity.busy && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.equal(botActivity.busy, false, 'idle again after a detect that timed out');
  } finally {
    bot.close();
    await ep.close();
    await services.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
