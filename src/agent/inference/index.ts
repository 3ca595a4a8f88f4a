/** The inference host's public surface (issue 3). */
export { InferenceHost } from './host.js';
export type { HostEvent, HostEventListener, InferenceHostOptions, InferenceHostStatus, RoleHostStatus, RunObserver, RunOptions } from './host.js';
export { CandidateGuard } from './guard.js';
export type { CandidateGuardOptions, GuardEvidence, GuardGates, GuardPhase } from './guard.js';
export { activateFirstGood } from './restart.js';
export type { RestartResult, StoredVersion } from './restart.js';
export { selectProviders, defaultProviders } from './providers.js';
export type { Feeds, Outputs, TensorPayload } from './worker-messages.js';
export { GLIBC_MALLOC_ENV, mallocTuned, mallocTuningEnv } from './malloc.js';
export { nodeForkSpawner } from './session-spawner.js';
export type { SessionChannel, SessionProcessSpawner, SessionSpawnRequest } from './session-spawner.js';
export { findNativeHost, resolveSessionHost, builtBinaryPath, onnxruntimeLibraryPath } from './native-host.js';
export type { NativeHostPaths, SessionHostSetting } from './native-host.js';
