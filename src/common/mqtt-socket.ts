/**
 * TCP_NODELAY on an MQTT client's socket, on every (re)connect. Without it a small control message
 * (a release, a PUBACK, a status) that follows another unacknowledged segment waits for Nagle and the
 * peer's delayed ACK: ~40 ms per hop on Linux. Measured on loopback Mosquitto (docs/BENCHMARKS-
 * distribution.md): release publish → agent accepted it went from ~45 ms to ~3 ms.
 * Brokers need the same on their side (Mosquitto `set_tcp_nodelay true`, aedes `net.createServer({ noDelay: true })`).
 */
export function noDelayOnConnect(client: { on(event: 'connect', listener: () => void): unknown; stream?: unknown }): void {
  client.on('connect', () => {
    const s = client.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined;
    if (typeof s?.setNoDelay === 'function') s.setNoDelay(true); // websocket streams have none
  });
}
