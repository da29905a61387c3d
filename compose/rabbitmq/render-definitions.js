#!/usr/bin/env node
// Compose only: renders the broker definitions RabbitMQ imports at boot from the shared
// compose/rabbitmq/definitions.json (the one source of truth: vhost, policy, exchange, queue),
// with its users replaced by RABBITMQ_USER / RABBITMQ_PASSWORD from compose/.env, so the compose
// broker has no guest/guest. The native stack imports definitions.json itself (guest, loopback).
// compose/rabbitmq/compose.conf points load_definitions at the output.
//   RABBITMQ_USER, RABBITMQ_PASSWORD   required; the password may instead be in the file
//                                      RABBITMQ_PASSWORD_FILE names (compose passes it so)
//   DEFINITIONS_IN   default /etc/rabbitmq-shared/definitions.json
//   DEFINITIONS_OUT  default /auth/rabbitmq-definitions.json (0400, owned by uid 999 = rabbitmq
//                    in the official image, when run as root)
'use strict';
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** RabbitMQ's rabbit_password_hashing_sha256: base64(salt ++ sha256(salt ++ utf8 password)), 4-byte salt. */
function rabbitPasswordHash(password, salt = randomBytes(4)) {
  const digest = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

function render(shared, user, password) {
  const defs = structuredClone(shared);
  const template = (defs.users ?? [])[0] ?? { tags: ['administrator'], limits: {} };
  const templatePerm = (defs.permissions ?? [])[0] ?? { vhost: '/', configure: '.*', write: '.*', read: '.*' };
  defs.users = [{ ...template, name: user, password_hash: rabbitPasswordHash(password), hashing_algorithm: 'rabbit_password_hashing_sha256' }];
  const vhosts = [...new Set((defs.permissions ?? [templatePerm]).map((p) => p.vhost))];
  defs.permissions = vhosts.map((vhost) => ({ ...templatePerm, user, vhost }));
  return defs;
}

module.exports = { rabbitPasswordHash, render };

/** The password from RABBITMQ_PASSWORD, or from the file RABBITMQ_PASSWORD_FILE names (trailing newlines dropped). */
function readPassword(env) {
  if (!env.RABBITMQ_PASSWORD_FILE) return env.RABBITMQ_PASSWORD;
  if (env.RABBITMQ_PASSWORD) {
    process.stderr.write('render-definitions: RABBITMQ_PASSWORD and RABBITMQ_PASSWORD_FILE are both set: give the password one way\n');
    process.exit(1);
  }
  try {
    return fs.readFileSync(env.RABBITMQ_PASSWORD_FILE, 'utf8').replace(/(\r?\n)+$/, '');
  } catch (err) {
    process.stderr.write(`render-definitions: RABBITMQ_PASSWORD_FILE: cannot read ${env.RABBITMQ_PASSWORD_FILE} (${err.code})\n`);
    process.exit(1);
  }
}

if (require.main === module) {
  const user = process.env.RABBITMQ_USER;
  const password = readPassword(process.env);
  if (!user || !password) {
    process.stderr.write('render-definitions: RABBITMQ_USER and RABBITMQ_PASSWORD are required (compose/.env)\n');
    process.exit(1);
  }
  const input = process.env.DEFINITIONS_IN || '/etc/rabbitmq-shared/definitions.json';
  const output = process.env.DEFINITIONS_OUT || '/auth/rabbitmq-definitions.json';
  const defs = render(JSON.parse(fs.readFileSync(input, 'utf8')), user, password);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const tmp = `${output}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(defs, null, 2) + '\n', { mode: 0o400 });
  if (process.getuid && process.getuid() === 0) fs.chownSync(tmp, 999, 999);
  fs.renameSync(tmp, output);
  process.stdout.write(`render-definitions: ${output} with user ${user}\n`);
}
