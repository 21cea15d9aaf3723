import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { FrameGuard, MAX_FIXED_HEADER_BYTES, type FrameGuardOptions } from './frame-guard.js';

/** Path of the MQTT-over-WebSocket endpoint, the usual one for MQTT brokers and mqtt.js. */
export const MQTT_WEBSOCKET_PATH = '/mqtt';
/** WebSocket subprotocol for MQTT 3.1.1 ([MQTT-6.0.0-3]). */
const MQTT_SUBPROTOCOL = 'mqtt';

export interface ListenerOptions {
  host: string;
  /** 0 picks a free port; read it back from `port` of the result. */
  port: number;
  guard: Omit<FrameGuardOptions, 'remoteAddress'>;
  /** Receives every connection already wrapped in its frame guard (aedes' `handle`). */
  handle(stream: Duplex, request?: http.IncomingMessage): void;
}

export interface RunningListener {
  readonly port: number;
  /** Stops accepting, closes every open connection, and resolves once the server is closed. */
  close(): Promise<void>;
}

async function listen(server: net.Server, host: string, port: number): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`listener on ${host}:${port} has no TCP address`);
  return address.port;
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/** MQTT over plain TCP. */
export async function startTcpListener(options: ListenerOptions): Promise<RunningListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    options.handle(new FrameGuard(socket, { ...options.guard, remoteAddress: socket.remoteAddress }));
  });
  const port = await listen(server, options.host, options.port);
  return {
    port,
    async close() {
      const closed = closeServer(server);
      // Connections still waiting for CONNECT are unknown to aedes, so broker.close() would not end
      // them: the listener ends every connection it accepted.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** MQTT over WebSocket at {@link MQTT_WEBSOCKET_PATH}, for browsers and networks that only pass HTTP. */
export async function startWebSocketListener(options: ListenerOptions): Promise<RunningListener> {
  const httpServer = http.createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    response.end(`MQTT over WebSocket: upgrade at ${MQTT_WEBSOCKET_PATH} with subprotocol "${MQTT_SUBPROTOCOL}"\n`);
  });
  const maxPayloadBytes = options.guard.maxPacketBytes + MAX_FIXED_HEADER_BYTES;
  const wss = new WebSocketServer({
    server: httpServer,
    path: MQTT_WEBSOCKET_PATH,
    // ws assembles a whole message before handing it on (default limit 100 MiB), ahead of the
    // frame guard: cap a message at one maximum-size MQTT packet so the limit holds here too.
    maxPayload: maxPayloadBytes,
    handleProtocols: (protocols) => (protocols.has(MQTT_SUBPROTOCOL) ? MQTT_SUBPROTOCOL : false),
  });
  // ws re-emits the HTTP server's errors; listen() below already rejects on them.
  wss.on('error', () => {});
  wss.on('connection', (socket, request) => {
    const remoteAddress = request.socket.remoteAddress;
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      const detail = `WebSocket message over the ${maxPayloadBytes}-byte limit`;
      options.guard.onRejected({ reason: 'packet_too_large', address: remoteAddress, detail });
    });
    const guard = new FrameGuard(createWebSocketStream(socket), { ...options.guard, remoteAddress });
    options.handle(guard, request);
  });
  const port = await listen(httpServer, options.host, options.port);
  return {
    port,
    async close() {
      const closed = closeServer(httpServer);
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      httpServer.closeAllConnections();
      await closed;
    },
  };
}
