/** Loopback ports for tests: one way to find a port nothing listens on. */
import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on: taken from the system (port 0), then released. A server started
 * on it next gets it (another process could take it meanwhile: rare on a test machine); a client
 * connecting to it is refused.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
