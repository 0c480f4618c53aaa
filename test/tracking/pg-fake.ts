/**
 * A stand-in PostgreSQL server on a loopback port, for counting what the `pg` client sends without a
 * real server: it speaks just enough of the wire protocol (startup with no password, simple and
 * extended queries) to answer every statement with "done, no rows", and it ends the connection instead
 * of answering a statement whose text `cut` matches (a server restart or `pg_terminate_backend` between
 * two statements of a transaction, or during its COMMIT). Every statement's text is recorded in
 * `statements`, in the order received, including the one cut. `startup` makes it a server that never
 * answers a new connection, or one still starting up (57P03).
 *
 * Client messages after the startup message are a type byte, then a 32-bit length that counts itself;
 * the startup message has no type byte.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface PgFake {
  readonly uri: string;
  readonly statements: string[];
  /** Statements whose text this matches (a RegExp, or any `test`) end their connection instead of being answered. */
  cut: { test(text: string): boolean } | null;
  /**
   * How new connections are greeted: `ok` (authenticated, ready), `silent` (accepted, the startup
   * message never answered: a server or firewall that swallows packets), `starting` (a PostgreSQL server
   * still starting up: FATAL 57P03 "the database system is starting up", then the connection closed).
   */
  startup: 'ok' | 'silent' | 'starting';
  /** Startup messages received (connections the client tried to open), whatever the answer. */
  startups: number;
  /** Statements whose text this matches are recorded and never answered (a statement that runs long). */
  hang: { test(text: string): boolean } | null;
  /** Ends every open connection (the pool's idle ones included); the port stays open. */
  drop(): void;
  close(): Promise<void>;
}

const msg = (type: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const ready = (): Buffer => msg('Z', Buffer.from('I'));
const done = (): Buffer => msg('C', cstr('SELECT 0'));

export async function startPgFake(): Promise<PgFake> {
  const sockets = new Set<Socket>();
  const fake: PgFake = {
    uri: '',
    statements: [],
    cut: null,
    startup: 'ok',
    startups: 0,
    hang: null,
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let started = false;
    /** Records a statement; false when it is to be cut (the socket is then destroyed). */
    const statement = (text: string): boolean => {
      fake.statements.push(text);
      if (fake.cut?.test(text)) {
        sock.destroy();
        return false;
      }
      if (fake.hang?.test(text)) {
        // no answer, and none to what follows on this connection
        sock.removeAllListeners('data');
        return false;
      }
      return true;
    };
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 4) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          buf = buf.subarray(len);
          fake.startups++;
          if (fake.startup === 'silent') return; // never answered
          if (fake.startup === 'starting') {
            // ErrorResponse: fields of a type byte and a C string each, then a zero byte
            const fields = Buffer.concat([
              Buffer.from('S'),
              cstr('FATAL'),
              Buffer.from('C'),
              cstr('57P03'),
              Buffer.from('M'),
              cstr('the database system is starting up'),
              Buffer.from([0]),
            ]);
            sock.end(msg('E', fields));
            return;
          }
          started = true;
          sock.write(Buffer.concat([msg('R', int32(0)), ready()])); // AuthenticationOk, ReadyForQuery
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'Q') {
          if (!statement(body.subarray(0, body.indexOf(0)).toString('utf8'))) return;
          sock.write(Buffer.concat([done(), ready()]));
        } else if (type === 'P') {
          // Parse: the statement's name, then its text
          const name = body.indexOf(0);
          const text = body.subarray(name + 1, body.indexOf(0, name + 1)).toString('utf8');
          if (!statement(text)) return;
          sock.write(msg('1')); // ParseComplete
        } else if (type === 'B')
          sock.write(msg('2')); // BindComplete
        else if (type === 'D')
          sock.write(msg('n')); // NoData
        else if (type === 'E') sock.write(done());
        else if (type === 'S') sock.write(ready());
        else if (type === 'C')
          sock.write(msg('3')); // CloseComplete
        else if (type === 'X') {
          sock.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  (fake as { uri: string }).uri = `postgresql://tsad@127.0.0.1:${port}/tsad`;
  return fake;
}
