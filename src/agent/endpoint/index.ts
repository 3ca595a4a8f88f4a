/** Public surface of the bot endpoint: the server for the composition root, the client for bots. */
export { connect, BotClient, BotEndpointError, type ConnectOptions, type CallOptions } from './client.js';
export { BotEndpoint, startBotEndpoint, defaultEndpointLimits, type BotEndpointOptions, type EndpointLimits } from './server.js';
export type { BotServices, EndpointObserver, ServiceImageSource, ServiceCropSource } from './services.js';
export { defaultEndpointPath } from './paths.js';
export { getOrCreateEndpointSecret, readEndpointSecret, rotateEndpointSecret } from './secret.js';
export * from '../../common/bot-protocol.js';
