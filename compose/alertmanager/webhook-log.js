#!/usr/bin/env node
// The alert webhook of the stack: Alertmanager posts every notification here (one path per
// receiver: /oncall, /developers, /support, /operations) and this prints one line per alert,
// so `npm start` (.run/dev/logs/alert-webhook.log) and `docker compose logs alert-webhook` show
// what would have been sent by e-mail or messenger. GET / answers the last 100 notifications.
// Plain Node.js, no dependencies: compose runs it in the stock node image.
//   ALERT_WEBHOOK_HOST  default 0.0.0.0 (native stack: 127.0.0.1)
//   ALERT_WEBHOOK_PORT  default 9095
'use strict';
const http = require('node:http');

const host = process.env.ALERT_WEBHOOK_HOST || '0.0.0.0';
const port = Number(process.env.ALERT_WEBHOOK_PORT || 9095);
const recent = [];

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(recent));
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= 1 << 20) chunks.push(c);
  });
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end('expected the JSON of an Alertmanager webhook\n');
      return;
    }
    recent.push({ path: req.url, receivedAt: new Date().toISOString(), body });
    if (recent.length > 100) recent.shift();
    for (const a of body.alerts ?? []) {
      const l = a.labels ?? {};
      process.stdout.write(
        `${new Date().toISOString()} ${req.url} receiver=${body.receiver} ${String(a.status).toUpperCase()} ` +
          `${l.alertname} severity=${l.severity} service=${l.service}: ${a.annotations?.description ?? ''} ` +
          `(${a.annotations?.runbook_url ?? 'no runbook'})\n`,
      );
    }
    res.writeHead(200).end();
  });
});

server.listen(port, host, () => process.stdout.write(`alert webhook listening on ${host}:${port}\n`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
