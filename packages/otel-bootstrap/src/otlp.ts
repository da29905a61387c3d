/**
 * The OTLP/HTTP exporter of one signal, protobuf or JSON as configured, loaded only when
 * called (OTEL_*_EXPORTER=none never pays for it). Headers (OTEL_EXPORTER_OTLP_{,<SIGNAL>_}HEADERS)
 * and the certificate variables are read by the exporter itself.
 */
import { readFileSync } from 'fs';
import type { OtlpConfig } from './types';
import type { Logger } from './utils';

/** The two packages of a signal's exporter and the class both export. */
export interface OtlpExporterPackages {
  json: string;
  protobuf: string;
  className: string;
}

export function createOtlpExporter<T>(otlp: OtlpConfig, packages: OtlpExporterPackages, logger: Logger): T {
  const m = require(otlp.protocol === 'http/json' ? packages.json : packages.protobuf) as Record<string, new (config: object) => T>;
  // The exporters' CompressionAlgorithm enum has exactly the string values 'none' and 'gzip'.
  return new m[packages.className]!({ url: otlp.endpoint, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression, headers: authHeaders(otlp, logger) });
}

/** A bearer token: printable ASCII without spaces (RFC 6750's token68 and then some); never a line break. */
const TOKEN = /^[\x21-\x7e]+$/;

/**
 * `Authorization: Bearer <token>` from SHOPFLOOR_OTLP_BEARER_TOKEN_FILE, read once at start
 * (per signal: the file is tiny). These headers win over OTEL_EXPORTER_OTLP_*HEADERS. A file
 * that cannot be read or holds no token is warned about (the logger says it once) and the
 * signal is sent without it: the Collector then refuses it, the app keeps serving.
 */
export function authHeaders(otlp: OtlpConfig, logger: Logger): Record<string, string> | undefined {
  const file = otlp.bearerTokenFile;
  if (file === undefined) return undefined;
  let token: string;
  try {
    token = readFileSync(file, 'utf8').replace(/(\r?\n)+$/, '');
  } catch (err) {
    logger.warn(`SHOPFLOOR_OTLP_BEARER_TOKEN_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); sending without a bearer token`);
    return undefined;
  }
  if (!TOKEN.test(token)) {
    logger.warn(`SHOPFLOOR_OTLP_BEARER_TOKEN_FILE: ${file} holds no bearer token (one line of printable characters, no spaces); sending without one`);
    return undefined;
  }
  return { Authorization: `Bearer ${token}` };
}
