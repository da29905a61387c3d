/**
 * Test helper: a minimal PostgreSQL wire-protocol server (v3, no TLS, trust authentication), enough
 * for node-postgres to connect and run simple and extended-protocol queries. Every statement is
 * recorded; `answer` decides per statement whether it succeeds or fails with a SQLSTATE, and
 * `refuseStartup` makes the server answer connection attempts like a PostgreSQL that is starting.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface PgError {
  code: string;
  message: string;
}

export interface FakePostgresOptions {
  port?: number;
  /** Called for every statement; return an error to fail it. */
  answer?: (sql: string, params: string[]) => PgError | undefined;
  /** While this returns an error, connection attempts are refused with it (e.g. 57P03 "starting up"). */
  refuseStartup?: () => PgError | undefined;
}

export interface FakePostgres {
  readonly port: number;
  /** Statements in arrival order, extended-protocol parameters appended as ` -- [params]`. */
  readonly statements: string[];
  close(): Promise<void>;
}

function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
const cstring = (s: string): Buffer => Buffer.from(`${s}\0`, 'utf8');
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const readyForQuery = (): Buffer => message('Z', Buffer.from('I'));
const errorResponse = (err: PgError): Buffer =>
  message('E', Buffer.concat([cstring('SERROR'), cstring('VERROR'), cstring(`C${err.code}`), cstring(`M${err.message}`), Buffer.from([0])]));
const commandComplete = (sql: string): Buffer => message('C', cstring(sql.trim().split(/\s+/, 1)[0]!.toUpperCase()));

export async function startFakePostgres(options: FakePostgresOptions = {}): Promise<FakePostgres> {
  const statements: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let started = false;
    // Extended protocol state between Parse and Sync.
    let pending: { sql: string; params: string[]; failed: boolean } | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
          buffer = buffer.subarray(buffer.readInt32BE(0));
          started = true;
          const refused = options.refuseStartup?.();
          if (refused) {
            socket.end(errorResponse(refused));
            return;
          }
          socket.write(Buffer.concat([message('R', int32(0)), message('K', Buffer.concat([int32(1), int32(2)])), readyForQuery()]));
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        buffer = buffer.subarray(1 + length);
        switch (type) {
          case 'Q': {
            const sql = body.toString('utf8', 0, body.length - 1);
            statements.push(sql);
            const err = options.answer?.(sql, []);
            socket.write(Buffer.concat([err ? errorResponse(err) : commandComplete(sql), readyForQuery()]));
            break;
          }
          case 'P': {
            const nameEnd = body.indexOf(0);
            const sqlEnd = body.indexOf(0, nameEnd + 1);
            pending = { sql: body.toString('utf8', nameEnd + 1, sqlEnd), params: [], failed: false };
            socket.write(message('1'));
            break;
          }
          case 'B': {
            // portal\0 statement\0 int16 nFormats, int16[] formats, int16 nParams, (int32 len, bytes)[] ...
            let at = body.indexOf(0) + 1;
            at = body.indexOf(0, at) + 1;
            const nFormats = body.readInt16BE(at);
            at += 2 + 2 * nFormats;
            const nParams = body.readInt16BE(at);
            at += 2;
            for (let i = 0; i < nParams; i++) {
              const len = body.readInt32BE(at);
              at += 4;
              pending?.params.push(len < 0 ? 'NULL' : body.toString('utf8', at, at + len));
              if (len > 0) at += len;
            }
            socket.write(message('2'));
            break;
          }
          case 'D':
            socket.write(message('n'));
            break;
          case 'E': {
            if (pending === undefined) break;
            statements.push(`${pending.sql} -- ${JSON.stringify(pending.params)}`);
            const err = options.answer?.(pending.sql, pending.params);
            pending.failed = err !== undefined;
            socket.write(err ? errorResponse(err) : commandComplete(pending.sql));
            break;
          }
          case 'S':
            pending = undefined;
            socket.write(readyForQuery());
            break;
          case 'X':
            socket.end();
            return;
          default:
            break; // Flush, Close, ...: nothing to answer
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    statements,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}
