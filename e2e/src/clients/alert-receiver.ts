import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One alert of an Alertmanager webhook notification. */
export interface DeliveredAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One POST from Alertmanager: which receiver, on which path, with which alerts. */
export interface Notification {
  path: string;
  receiver: string;
  status: string;
  alerts: DeliveredAlert[];
  at: number;
}

/**
 * The webhook receiver the tests run: an HTTP server (free port) that keeps every
 * notification Alertmanager posts to it.
 */
export class AlertReceiver {
  readonly notifications: Notification[] = [];
  private server?: Server;

  /**
   * Starts listening on `at.bind`; resolves the base URL to give Alertmanager, which reaches this
   * host as `at.host`.
   */
  async start(at: { bind: string; host: string } = { bind: '127.0.0.1', host: '127.0.0.1' }): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'path' | 'at'>;
          this.notifications.push({ path: req.url ?? '/', receiver: body.receiver, status: body.status, alerts: body.alerts ?? [], at: Date.now() });
          res.writeHead(200).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, at.bind, resolve));
    return `http://${at.host}:${(server.address() as AddressInfo).port}`;
  }

  /** The first firing delivery of an alert whose labels include `labels`, with its notification. */
  find(labels: Record<string, string>): { notification: Notification; alert: DeliveredAlert } | undefined {
    for (const notification of this.notifications) {
      for (const alert of notification.alerts) {
        if (alert.status === 'firing' && Object.entries(labels).every(([k, v]) => alert.labels[k] === v)) return { notification, alert };
      }
    }
    return undefined;
  }

  /** What has arrived so far, one line per alert, for failure messages. */
  summary(): string {
    const lines = this.notifications.flatMap((n) => n.alerts.map((a) => `${n.path} ${a.status} ${a.labels.alertname}{service=${a.labels.service}}`));
    return lines.length ? lines.join('; ') : 'no notification at all';
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
