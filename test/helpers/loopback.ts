/** Starting and stopping the fake servers of the tests, on 127.0.0.1 only. */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Listens on a free port of 127.0.0.1 and tracks the connections, so `close` can end them all
 * (a client still holding a keep-alive socket would otherwise keep the server open).
 */
export async function listenOnLoopback(
  server: Server,
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { port, close };
}
