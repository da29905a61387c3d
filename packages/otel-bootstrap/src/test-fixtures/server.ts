/**
 * The "app" of the child-process tests: a plain http server that knows
 * nothing about OpenTelemetry. It listens on 127.0.0.1, port 0, and prints
 * `LISTENING <port>` once ready.
 *
 * FIXTURE_OWN_SIGTERM=1 makes it handle SIGTERM itself, like many real
 * servers: close the server and let the process end naturally.
 */
import * as http from 'http';

const server = http.createServer((req, res) => {
  // Drain the body so keep-alive clients are not stalled.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`ok ${req.method} ${req.url}`);
  });
});

if (process.env.FIXTURE_OWN_SIGTERM === '1') {
  process.on('SIGTERM', () => {
    process.stdout.write('APP SIGTERM HANDLER\n');
    server.close();
    server.closeAllConnections();
  });
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : -1;
  process.stdout.write(`LISTENING ${port}\n`);
});
