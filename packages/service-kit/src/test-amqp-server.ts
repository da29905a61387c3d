/**
 * Test helper: a minimal AMQP 0-9-1 server, enough for amqp-connection-manager/amqplib to connect,
 * open confirm channels, declare the topology and get publishes confirmed. Frames are encoded and
 * decoded with amqplib's own protocol definitions (lib/defs.js, not in its package exports, so
 * loaded by file path). It records what clients asked for, so tests can assert on real traffic.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';

interface Defs {
  decode(id: number, buf: Buffer): Record<string, unknown>;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  info(id: number): { name: string };
  [name: string]: unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const defs = require(join(dirname(require.resolve('amqplib')), 'lib', 'defs.js')) as Defs;
const id = (name: string): number => defs[name] as number;
const FRAME_END = 0xce;

export interface FakeAmqpServer {
  readonly port: number;
  /** Method names received, e.g. "ConnectionOpen", "ExchangeDeclare shopfloor.orders", "BasicPublish shopfloor.orders order.created". */
  readonly received: string[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Drops every client connection (as a broker restart does) but keeps listening. */
  dropClients(): void;
  close(): Promise<void>;
}

export interface FakeAmqpServerOptions {
  /** Publishes with these routing keys are returned (basic.return, NO_ROUTE) before their ack, as by a broker with no binding. */
  unroutable?: readonly string[];
}

export async function startFakeAmqpServer(port = 0, options: FakeAmqpServerOptions = {}): Promise<FakeAmqpServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = Buffer.alloc(0);
    let greeted = false;
    const confirms = new Map<number, number>();
    /** Per channel: an unroutable publish waiting for its content header (its properties go back in the return). */
    const toReturn = new Map<number, { exchange: unknown; routingKey: unknown }>();
    const ack = (channel: number): void => {
      const tag = (confirms.get(channel) ?? 0) + 1;
      confirms.set(channel, tag);
      send('BasicAck', channel, { deliveryTag: tag, multiple: false });
    };
    const send = (name: string, channel: number, fields: Record<string, unknown>): void => {
      if (!socket.destroyed) socket.write(defs.encodeMethod(id(name), channel, fields));
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!greeted) {
        if (buffer.length < 8) return;
        buffer = buffer.subarray(8); // "AMQP\0\0\9\1"
        greeted = true;
        send('ConnectionStart', 0, {
          versionMajor: 0,
          versionMinor: 9,
          serverProperties: { product: 'fake' },
          mechanisms: Buffer.from('PLAIN'),
          locales: Buffer.from('en_US'),
        });
      }
      while (buffer.length >= 7) {
        const type = buffer.readUInt8(0);
        const channel = buffer.readUInt16BE(1);
        const size = buffer.readUInt32BE(3);
        if (buffer.length < 7 + size + 1) return;
        if (buffer.readUInt8(7 + size) !== FRAME_END) {
          socket.destroy();
          return;
        }
        const payload = buffer.subarray(7, 7 + size);
        buffer = buffer.subarray(8 + size);
        if (type === 8) {
          socket.write(Buffer.from([8, 0, 0, 0, 0, 0, 0, FRAME_END])); // heartbeat back
          continue;
        }
        const returning = type === 2 ? toReturn.get(channel) : undefined;
        if (returning !== undefined) {
          toReturn.delete(channel);
          const properties = defs.decode(id('BasicProperties'), payload.subarray(12));
          send('BasicReturn', channel, { replyCode: 312, replyText: 'NO_ROUTE', ...returning });
          const encode = defs.encodeProperties as (cls: number, ch: number, size: number, fields: Record<string, unknown>) => Buffer;
          socket.write(encode(id('BasicProperties'), channel, 1, properties));
          const body = Buffer.from([3, 0, 0, 0, 0, 0, 1, 0x78, FRAME_END]);
          body.writeUInt16BE(channel, 1);
          socket.write(body);
          ack(channel);
          continue;
        }
        if (type !== 1) continue; // content header / body frames of a publish: already confirmed below
        const methodId = payload.readUInt32BE(0);
        const name = defs.info(methodId).name;
        const fields = defs.decode(methodId, payload.subarray(4));
        switch (name) {
          case 'ConnectionStartOk':
            send('ConnectionTune', 0, { channelMax: 0, frameMax: 131072, heartbeat: 0 });
            break;
          case 'ConnectionOpen':
            send('ConnectionOpenOk', 0, { knownHosts: '' });
            break;
          case 'ConnectionClose':
            send('ConnectionCloseOk', 0, {});
            socket.end();
            break;
          case 'ChannelOpen':
            send('ChannelOpenOk', channel, { channelId: Buffer.alloc(0) });
            break;
          case 'ChannelClose':
            send('ChannelCloseOk', channel, {});
            break;
          case 'ConfirmSelect':
            confirms.set(channel, 0);
            send('ConfirmSelectOk', channel, {});
            break;
          case 'ExchangeDeclare':
            received.push(`${name} ${String(fields.exchange)}`);
            send('ExchangeDeclareOk', channel, {});
            continue;
          case 'QueueDeclare':
            received.push(`${name} ${String(fields.queue)}`);
            send('QueueDeclareOk', channel, { queue: fields.queue, messageCount: 0, consumerCount: 0 });
            continue;
          case 'QueueBind':
            send('QueueBindOk', channel, {});
            break;
          case 'BasicQos':
            send('BasicQosOk', channel, {});
            break;
          case 'BasicPublish': {
            received.push(`${name} ${String(fields.exchange)} ${String(fields.routingKey)}${fields.mandatory === true ? ' mandatory' : ''}`);
            if (options.unroutable?.includes(String(fields.routingKey))) {
              toReturn.set(channel, { exchange: fields.exchange, routingKey: fields.routingKey });
              continue;
            }
            ack(channel);
            continue;
          }
          default:
            break;
        }
        received.push(name);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    received,
    get connections() {
      return connections;
    },
    dropClients() {
      for (const socket of sockets) socket.destroy();
    },
    close() {
      // Stop accepting first, then drop the clients: close() waits for open connections.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

/** A TCP port on 127.0.0.1 that nobody listens on (bound once, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
