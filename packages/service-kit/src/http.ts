import type { Server } from 'node:http';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import { isTransientDbError } from './db';
import { describeError, formatIssues, HttpError, loggableError, ValidationError } from './errors';
import type { Logger } from './logger';
import { recordServerError } from './telemetry';

export { Router } from 'express';

/** Route-level raw body (uploads): any content type, up to `limitBytes`, as a Buffer in req.body. */
export function rawBody(limitBytes: number): RequestHandler {
  return express.raw({ type: () => true, limit: limitBytes });
}
export type { Express, NextFunction, Request, RequestHandler, Response } from 'express';

/** A named dependency for `/healthz`; `check` resolves true when it is usable. */
export interface HealthCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

export interface AppOptions {
  logger: Logger;
  health: HealthCheck[];
  /** Mounts the service's own routes (after the body parser and /healthz, before 404 + error handler). */
  routes: (app: Express) => void;
  /** Max JSON body size. Default 100kb. */
  bodyLimit?: string;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, 'up' | 'down'>;
  down?: string[];
}

export async function runHealthChecks(checks: readonly HealthCheck[]): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        return [name, (await check()) === true] as const;
      } catch {
        return [name, false] as const;
      }
    }),
  );
  const down = results.filter(([, up]) => !up).map(([name]) => name);
  const report: HealthReport = {
    status: down.length === 0 ? 'ok' : 'unavailable',
    checks: Object.fromEntries(results.map(([name, up]) => [name, up ? 'up' : 'down'])),
  };
  if (down.length > 0) report.down = down;
  return report;
}

/** One info line per request (debug for /healthz): method, path, status, duration. Never headers. */
function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = { method: req.method, path: req.path, status: res.statusCode, durationMs: Math.round(durationMs * 10) / 10 };
      if (req.path === '/healthz' || req.path === '/livez') logger.debug(entry, 'request');
      else logger.info(entry, 'request');
    });
    next();
  };
}

interface BodyParserError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  message: string;
}

/** Maps errors to JSON responses. Stack traces and internal messages never reach the client. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ValidationError) {
      res.status(400).json({ error: err.publicMessage, details: err.details });
      return;
    }
    if (err instanceof z.ZodError) {
      res.status(400).json({ error: 'invalid request', details: formatIssues(err.issues) });
      return;
    }
    if (err instanceof HttpError) {
      if (err.status >= 500) recordServerError(err);
      res.status(err.status).json({ error: err.message });
      return;
    }
    const parserError = err as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') {
      res.status(400).json({ error: 'malformed JSON body' });
      return;
    }
    if (parserError?.type === 'entity.too.large') {
      res.status(413).json({ error: 'request body too large' });
      return;
    }
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500 && parserError.expose === true) {
      res.status(parserError.status).json({ error: parserError.message });
      return;
    }
    if (isTransientDbError(err)) {
      recordServerError(err);
      logger.warn({ method: req.method, path: req.path, error: describeError(err) }, 'database unavailable');
      res.status(503).set('Retry-After', '5').json({ error: 'service temporarily unavailable', dependency: 'postgres' });
      return;
    }
    recordServerError(err);
    logger.error({ method: req.method, path: req.path, error: loggableError(err) }, 'unhandled error');
    res.status(500).json({ error: 'internal error' });
  };
}

/**
 * express 5 app: access log, `GET /livez` (200 while the process serves HTTP; no dependency is
 * checked, so a liveness probe never restarts a service for a database outage), `GET /healthz`
 * (200 / 503 naming the dependencies that are down), JSON body parser with a size limit, the
 * service routes, 404 JSON, error handler.
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(accessLog(options.logger));
  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/healthz', async (_req, res) => {
    const report = await runHealthChecks(options.health);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  app.use(express.json({ limit: options.bodyLimit ?? '100kb' }));
  options.routes(app);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(errorHandler(options.logger));
  return app;
}

/** Listens on `port` (all interfaces) and logs one "listening" line. */
export function listen(app: Express, port: number, logger: Logger): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, (err?: Error) => {
      if (err) {
        reject(err);
        return;
      }
      logger.info({ port }, 'listening');
      resolve(server);
    });
    // Longer than the idle timeout of the usual clients and proxies in front (undici 4 s, nginx's
    // upstream keepalive 60 s, cloud load balancers 60 s): a client must drop an idle socket
    // before the server does, or a request written onto a socket the server is closing fails
    // with ECONNRESET (the likely cause of one in the e2e under load: a late 4 s client timer).
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  });
}

/** Stops accepting connections and waits for in-flight requests (idle keep-alive sockets are closed). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
