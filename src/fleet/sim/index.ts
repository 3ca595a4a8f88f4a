/** The fleet simulator (issue 6): lightweight agents speaking the real protocol. */
export { SimAgent, type SimAgentOptions, type SimTrust } from './sim-agent.js';
export { startFleetSim, type FleetSim, type FleetSimOptions } from './fleet-sim.js';
export { ProfileBook, DEFAULT_PROFILE, type ModelProfile } from './profiles.js';
export { makeSimKeys, trustOf, publishSimModel, publishSimRelease, type SimKeys } from './scenario.js';
