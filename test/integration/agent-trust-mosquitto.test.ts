/** Issue 20 §1 end to end over a real Mosquitto (MQTT 5) with a real agent: rotation, revocation, refusals, catch-up. */
import { registerTrustCases } from './agent-trust-cases.js';
import { startMosquitto } from '../helpers/brokers.js';

registerTrustCases('mosquitto', () => startMosquitto(), { refusals: true });
