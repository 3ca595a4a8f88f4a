/** Issue 20 §1 with a real agent over the in-process aedes broker (cases in agent-trust-cases.ts). */
import { registerTrustCases } from './agent-trust-cases.js';
import { startAedes } from '../helpers/brokers.js';

registerTrustCases('aedes', () => startAedes(), { refusals: true });
