#!/bin/sh
# As the official node image's entrypoint: when the first argument is an option (-e, --require)
# or not a command on PATH (a script file), run it with node.
set -e

if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
