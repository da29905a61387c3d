/**
 * The OTLP/HTTP exporter of one signal, protobuf or JSON as configured, loaded only when
 * called (OTEL_*_EXPORTER=none never pays for it). Headers (OTEL_EXPORTER_OTLP_{,<SIGNAL>_}HEADERS)
 * and the certificate variables are read by the exporter itself.
 */
import type { OtlpConfig } from './types';

/** The two packages of a signal's exporter and the class both export. */
export interface OtlpExporterPackages {
  json: string;
  protobuf: string;
  className: string;
}

export function createOtlpExporter<T>(otlp: OtlpConfig, packages: OtlpExporterPackages): T {
  const m = require(otlp.protocol === 'http/json' ? packages.json : packages.protobuf) as Record<string, new (config: object) => T>;
  // The exporters' CompressionAlgorithm enum has exactly the string values 'none' and 'gzip'.
  return new m[packages.className]!({ url: otlp.endpoint, timeoutMillis: otlp.timeoutMillis, compression: otlp.compression });
}
