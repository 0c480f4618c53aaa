/**
 * A TCP proxy in front of a real PostgreSQL server that loses a reply on cue: `dropReplyAfter(marker)`
 * arms it; the next statement a client sends whose bytes contain `marker` is forwarded, the server
 * runs it and answers, and the proxy cuts both sockets when the server's ReadyForQuery message for it
 * arrives, instead of passing the answer on. ReadyForQuery comes after the server committed (a
 * single statement outside a transaction, or a COMMIT), so the write is stored and the client never
 * learns it: the worst moment for a lost connection.
 *
 * The server-to-client stream is a sequence of typed messages (a type byte, then a 32-bit length that
 * counts itself), from the first byte on; the proxy parses it to find ReadyForQuery (`Z`).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface PgProxy {
  /** The server's URI with the proxy's host and port. */
  readonly uri: string;
  /**
   * Arms the proxy for the next `count` (default 1) statements whose bytes contain `marker`; with
   * `thenRefuse`, the next that many connections after each cut are closed as soon as they open (the
   * server restarting: a resend cannot get through).
   */
  dropReplyAfter(marker: string, count?: number, thenRefuse?: number): void;
  /** How many replies were dropped so far. */
  readonly dropped: number;
  close(): Promise<void>;
}

export async function startPgProxy(serverUri: string): Promise<PgProxy> {
  const target = new URL(serverUri);
  const faults: { marker: Buffer; left: number; refuse: number }[] = [];
  const sockets = new Set<Socket>();
  let dropped = 0;
  let refusing = 0;

  const server: Server = createServer((client) => {
    if (refusing > 0) {
      refusing--;
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    let armed: { refuse: number } | undefined;
    let pending = Buffer.alloc(0);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('data', (chunk: Buffer) => {
      for (const f of faults) {
        if (f.left > 0 && chunk.includes(f.marker)) {
          f.left--;
          armed = f;
          break;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!armed) {
        client.write(chunk);
        return;
      }
      // hold the answer back message by message; cut at the ReadyForQuery that ends it
      pending = Buffer.concat([pending, chunk]);
      let off = 0;
      while (pending.length - off >= 5) {
        const len = pending.readUInt32BE(off + 1);
        if (pending.length - off < 1 + len) break;
        if (pending[off] === 0x5a /* 'Z' */) {
          dropped++;
          refusing += armed.refuse;
          cut();
          return;
        }
        off += 1 + len;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const uri = new URL(serverUri);
  uri.hostname = '127.0.0.1';
  uri.port = String(port);
  return {
    uri: uri.toString(),
    dropReplyAfter(marker, count = 1, thenRefuse = 0) {
      faults.push({ marker: Buffer.from(marker, 'utf8'), left: count, refuse: thenRefuse });
    },
    get dropped() {
      return dropped;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
