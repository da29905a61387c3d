#!/bin/bash
# The RabbitMQ stand-in's entrypoint, as the official image's: started as root for a
# rabbitmq-* command, it hands the data directory to rabbitmq and re-runs itself as that user
# (gosu); long node names when the hostname is a FQDN; then runs the command.
set -euo pipefail

if [[ "$1" == rabbitmq* ]] && [ "$(id -u)" = '0' ]; then
  if [ "$1" = 'rabbitmq-server' ]; then
    find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq '{}' +
  fi
  exec gosu rabbitmq "${BASH_SOURCE[0]}" "$@"
fi

# If long and short hostnames are not the same, use long hostnames.
if [ -z "${RABBITMQ_USE_LONGNAME:-}" ] && [ "$(hostname)" != "$(hostname -s)" ]; then
  export RABBITMQ_USE_LONGNAME=true
fi

exec "$@"
