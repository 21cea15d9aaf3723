import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSip2Framer } from '../codec/framer.js';
import { createAcsResponder, type AcsBehaviour } from './acs-responder.js';

export interface SimulatedAcs {
  port: number;
  behaviour: AcsBehaviour;
  stop(): Promise<void>;
}

/** A simulated library system on TCP: one responder per connection, answers end with CR. */
export async function startSimulatedAcs(behaviour: AcsBehaviour, host = '127.0.0.1', port = 0): Promise<SimulatedAcs> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const framer = createSip2Framer();
    const respond = createAcsResponder(behaviour);
    socket.on('data', (chunk) => {
      for (const frame of framer.push(chunk)) {
        if (frame.kind !== 'message') continue;
        const answer = respond(frame.line);
        if (answer !== undefined) socket.write(Buffer.from(`${answer}\r`, 'latin1'));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    behaviour,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
