/** The same issue 2 agent cases as agent-distribution.test.ts, against a real Mosquitto (MQTT 5). */
import { registerDistributionCases } from './agent-distribution-cases.js';
import { startMosquitto } from '../helpers/brokers.js';

registerDistributionCases('mosquitto', () => startMosquitto());
