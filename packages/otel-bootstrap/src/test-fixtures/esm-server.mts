/**
 * The ES-module "app" of the --import tests (compiled to esm-server.mjs): an
 * express server that knows nothing about OpenTelemetry. It listens on
 * 127.0.0.1, port 0, and prints `LISTENING <port>` once ready.
 *
 * GET /items/:id makes an outgoing request (to its own /upstream) and answers
 * with what it got. GET /probe describes how this process was loaded: the
 * OpenTelemetry / import-in-the-middle modules in the CommonJS cache, and
 * whether the loader hook wraps `express` and `node:fs` (a wrapped module
 * resolves to a URL carrying `iitm`).
 */
import express from 'express';
import http from 'http';
import module from 'node:module';

const require = module.createRequire(import.meta.url);

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', c => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const app = express();
let port = 0;

app.get('/upstream', (_req, res) => {
  res.type('text/plain').send('upstream ok');
});

app.get('/items/:id', async (req, res) => {
  try {
    const upstream = await fetchText(`http://127.0.0.1:${port}/upstream`);
    res.type('text/plain').send(`item ${req.params.id}: ${upstream}`);
  } catch (err) {
    res.status(502).send(String(err));
  }
});

app.get('/probe', (_req, res) => {
  res.json({
    loaded: Object.keys(require.cache).filter(k => /@opentelemetry|import-in-the-middle/.test(k)),
    express: import.meta.resolve('express'),
    fs: import.meta.resolve('node:fs'),
  });
});

const server = http.createServer(app);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : -1;
  process.stdout.write(`LISTENING ${port}\n`);
});
