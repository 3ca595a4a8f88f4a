/** Agent telemetry (issue 6): window recorder, SQLite outbox, shadow runner, process stats, presence. */
export { TelemetryRecorder, type RoleInfo, type InferenceSample, type ShadowSample, type WindowBody } from './recorder.js';
export { Outbox, type OutboxClient, type OutboxMessage } from './outbox.js';
export { ShadowRunner, detectionAgreement, classificationAgreement, type ShadowRunnerOptions } from './shadow.js';
export { ProcessStatsSampler, type ProcessStats } from './process-stats.js';
export { startTelemetry, offlineWill, type Telemetry, type TelemetryOptions, type Timers } from './telemetry.js';
