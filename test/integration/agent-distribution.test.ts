/**
 * Issue 2 agent acceptance cases against the in-process aedes broker (MQTT 3.1.1) and a real
 * Mosquitto (MQTT 5). The cases live in agent-distribution-cases.ts, parameterised by the broker.
 */
import { registerDistributionCases } from './agent-distribution-cases.js';
import { startAedes } from '../helpers/brokers.js';

registerDistributionCases('aedes', () => startAedes());
