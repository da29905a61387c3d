/**
 * An app that logs through pino, winston and bunyan while it handles a
 * request, each record carrying a password field that must never leave the
 * process. Prints `LISTENING <port>` once ready.
 */
import * as http from 'http';
import pino from 'pino';
import * as winston from 'winston';

const fields = { orderId: 7, password: 'hunter2-secret' };
const viaPino = pino();
const viaWinston = winston.createLogger({ transports: [new winston.transports.Console()] });
// bunyan ships no types; this is the part used here.
const bunyan = require('bunyan') as { createLogger(o: { name: string }): { info(fields: object, msg: string): void } };
const viaBunyan = bunyan.createLogger({ name: 'fixture' });

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    viaPino.info(fields, 'handled by pino');
    viaWinston.info('handled by winston', fields);
    viaBunyan.info(fields, 'handled by bunyan');
    res.end('ok');
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : -1}\n`);
});
