import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { ConnectionGate } from './connection-gate.js';
import { FrameGuard, MAX_FIXED_HEADER_BYTES, type FrameGuardOptions } from './frame-guard.js';
import { readProxyHeader } from './proxy-protocol.js';

/** Path of the MQTT-over-WebSocket endpoint, the usual one for MQTT brokers and mqtt.js. */
export const MQTT_WEBSOCKET_PATH = '/mqtt';
/** WebSocket subprotocol for MQTT 3.1.1 ([MQTT-6.0.0-3]). */
const MQTT_SUBPROTOCOL = 'mqtt';

export interface ListenerOptions {
  host: string;
  /** 0 picks a free port; read it back from `port` of the result. */
  port: number;
  guard: Omit<FrameGuardOptions, 'remoteAddress'>;
  /** Admits or refuses each raw connection before anything else is spent on it. */
  gate: ConnectionGate;
  /** Serve TLS with these certificates (MQTTS, or WSS for the WebSocket listener). */
  tls?: TlsCredentials;
  /**
   * Every connection opens with a PROXY protocol v2 header (HAProxy's `send-proxy-v2`): the gate,
   * the guard and aedes see the client's address from it. Plain TCP listener only.
   */
  proxyProtocol?: boolean;
  /** Receives every connection already wrapped in its frame guard (aedes' `handle`). */
  handle(stream: Duplex, request?: http.IncomingMessage): void;
}

/** PEM text of the server certificate (followed by its chain) and its private key. */
export interface TlsCredentials {
  cert: string;
  key: string;
}

/**
 * Node's TLS server options. Node's handshake timeout only starts with the client's first bytes;
 * a client silent before that is ended by the listener's deadline (gateConnections).
 */
function tlsServerOptions(credentials: TlsCredentials, connectTimeoutMs: number): tls.TlsOptions {
  return { cert: credentials.cert, key: credentials.key, handshakeTimeout: connectTimeoutMs, minVersion: 'TLSv1.2' };
}

const connectionKey = (socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }) =>
  `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;

/**
 * Counts a server's raw connections through the gate, before any TLS handshake or HTTP parsing.
 * Where a handshake (TLS, WebSocket upgrade) comes before MQTT, an admitted connection must reach
 * the frame guard within `deadlineMs`: Node starts its TLS handshake timeout only at the first
 * byte, and checks HTTP header timeouts only every 30 s. Returns what marks a connection as
 * having arrived (its remote address and port identify it).
 */
function gateConnections(
  server: net.Server,
  options: Pick<ListenerOptions, 'gate'> & { deadlineMs: number | null; onAdmitted?: (socket: net.Socket) => void },
): (arrived: { remoteAddress?: string | undefined; remotePort?: number | undefined }) => void {
  const deadlines = new Map<string, NodeJS.Timeout>();
  server.on('connection', (socket: net.Socket) => {
    // A refused socket is destroyed; a TLS or HTTP server wrapping it must not see its error.
    if (!options.gate.admit(socket)) return void socket.on('error', () => {});
    options.onAdmitted?.(socket);
    if (options.deadlineMs === null) return;
    const key = connectionKey(socket);
    deadlines.set(
      key,
      setTimeout(() => socket.destroy(), options.deadlineMs),
    );
    socket.once('close', () => {
      clearTimeout(deadlines.get(key));
      deadlines.delete(key);
    });
  });
  return (arrived) => {
    const key = connectionKey(arrived);
    clearTimeout(deadlines.get(key));
    deadlines.delete(key);
  };
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

/** MQTT over TCP, or over TLS ("mqtts") with `options.tls`. */
export async function startTcpListener(options: ListenerOptions): Promise<RunningListener> {
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket, clientAddress = socket.remoteAddress) => {
    arrived?.(socket);
    socket.setNoDelay(true);
    options.handle(new FrameGuard(socket, { ...options.guard, remoteAddress: clientAddress }));
  };
  if (options.proxyProtocol === true && options.tls !== undefined)
    throw new Error('the PROXY protocol is read on the plain TCP listener only');
  const server =
    options.tls === undefined
      ? net.createServer()
      : tls.createServer(tlsServerOptions(options.tls, options.guard.connectTimeoutMs), onSocket);
  // Failed handshakes (a plain MQTT client on the TLS port, a scanner) only end that connection.
  server.on('tlsClientError', () => {});
  // Every connection the listener accepted, refused or not, so close() can end it.
  server.prependListener('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Plain TCP goes to aedes at once (the frame guard times CONNECT); TLS once its handshake is done;
  // behind the PROXY protocol, once the header named the client (no TLS handshake to time there).
  const arrived =
    options.proxyProtocol === true
      ? (acceptProxied(server, options, onSocket), undefined)
      : gateConnections(
          server,
          options.tls === undefined
            ? { gate: options.gate, deadlineMs: null, onAdmitted: onSocket }
            : { gate: options.gate, deadlineMs: options.guard.connectTimeoutMs },
        );
  const port = await listen(server, options.host, options.port);
  return { port, close: () => closeAll(server, sockets) };
}

async function closeAll(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  const closed = closeServer(server);
  // Connections still waiting for CONNECT are unknown to aedes, so broker.close() would not end
  // them: the listener ends every connection it accepted.
  for (const socket of sockets) socket.destroy();
  await closed;
}

/**
 * Behind a load balancer speaking the PROXY protocol: each connection's header is read first,
 * and the gate admits or refuses it by the client's address it names. A connection without a
 * valid header within the CONNECT timeout is refused (`proxy_header_invalid`): with the setting
 * on, only the balancer may connect.
 */
function acceptProxied(
  server: net.Server,
  options: ListenerOptions,
  onSocket: (socket: net.Socket, clientAddress: string | undefined) => void,
): net.Server {
  server.on('connection', (socket: net.Socket) => {
    // Until the frame guard takes the socket over, a reset must not become an unhandled error.
    socket.on('error', () => {});
    readProxyHeader(socket, options.guard.connectTimeoutMs).then(
      ({ address }) => {
        if (options.gate.admit(socket, address)) onSocket(socket, address);
      },
      (error: Error) => {
        socket.destroy();
        options.guard.onRejected({ reason: 'proxy_header_invalid', address: socket.remoteAddress, detail: error.message });
      },
    );
  });
  return server;
}

/**
 * MQTT over WebSocket at {@link MQTT_WEBSOCKET_PATH}, for browsers and networks that only pass
 * HTTP; over HTTPS ("wss") with `options.tls`.
 */
export async function startWebSocketListener(options: ListenerOptions): Promise<RunningListener> {
  const onPlainRequest: http.RequestListener = (_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', upgrade: 'websocket' });
    response.end(`MQTT over WebSocket: upgrade at ${MQTT_WEBSOCKET_PATH} with subprotocol "${MQTT_SUBPROTOCOL}"\n`);
  };
  const httpServer =
    options.tls === undefined
      ? http.createServer(onPlainRequest)
      : https.createServer(tlsServerOptions(options.tls, options.guard.connectTimeoutMs), onPlainRequest);
  httpServer.on('tlsClientError', () => {});
  const arrived = gateConnections(httpServer, { gate: options.gate, deadlineMs: options.guard.connectTimeoutMs });
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
    arrived(request.socket);
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
