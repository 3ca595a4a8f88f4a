/** The fleet library's public surface (used by the CLI, the demo, the rollout controller and tests). */
export * from './signer.js';
export * from './keys.js';
export * from './trust.js';
export * from './manifest.js';
export * from './mqtt.js';
export * from './publisher.js';
