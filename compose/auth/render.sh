#!/bin/sh
# Renders the credentials of the compose stack from the passwords in compose/.env, once per
# `docker compose up`, into the named volume `auth` (mounted read-only at /etc/shopfloor-auth by
# the services that need it). Runs in the Caddy image, whose `caddy hash-password` makes the
# bcrypt hashes: Prometheus' and Alertmanager's web.config.file cannot read environment
# variables, so their hashed users are written here instead of committed.
#
# Output (user `shopfloor` everywhere):
#   prometheus-web.yml, alertmanager-web.yml   web.config.file: basic_auth_users with the bcrypt hash
#   prometheus.password, alertmanager.password plain password files for the clients of those two
#                                              (Prometheus' own scrapes and alerting, health checks)
#   prometheus-client.yml, alertmanager-client.yml  http client config (promtool/amtool health checks)
#   jaeger-basic-auth.caddy                    Caddyfile snippet imported by the Jaeger UI proxy
#   prometheus-upstream-auth.caddy             Caddyfile snippet: the proxy's login to Prometheus
#                                              for Jaeger's Monitor tab (compose/jaeger/Caddyfile)
#
# Environment: PROMETHEUS_PASSWORD, ALERTMANAGER_PASSWORD, JAEGER_UI_PASSWORD (required), each
# also as <NAME>_FILE, the path of a file holding it (compose passes its secrets so);
# AUTH_DIR (default /auth). Files are 0400, owned by uid 65534 (nobody: the Prometheus and
# Alertmanager images' user) when run as root.
set -eu

AUTH_DIR="${AUTH_DIR:-/auth}"
AUTH_MOUNT=/etc/shopfloor-auth
USER_NAME=shopfloor

# secret NAME: $NAME, or the content of the file $NAME_FILE names (its trailing newlines dropped);
# both set is refused.
secret() {
  eval "file=\${${1}_FILE:-}"
  eval "value=\${${1}:-}"
  if [ -n "$file" ]; then
    if [ -n "$value" ]; then echo "render.sh: $1 and ${1}_FILE are both set: give the secret one way" >&2; return 1; fi
    if [ ! -r "$file" ]; then echo "render.sh: ${1}_FILE: cannot read $file" >&2; return 1; fi
    cat "$file"
  else
    printf '%s' "$value"
  fi
}
PROMETHEUS_PASSWORD="$(secret PROMETHEUS_PASSWORD)"
ALERTMANAGER_PASSWORD="$(secret ALERTMANAGER_PASSWORD)"
JAEGER_UI_PASSWORD="$(secret JAEGER_UI_PASSWORD)"
: "${PROMETHEUS_PASSWORD:?is required (compose/.env)}"
: "${ALERTMANAGER_PASSWORD:?is required (compose/.env)}"
: "${JAEGER_UI_PASSWORD:?is required (compose/.env)}"

hash() {
  h="$(caddy hash-password --plaintext "$1")"
  case "$h" in
    '$2'[aby]'$'*) printf '%s' "$h" ;;
    *) echo "render.sh: 'caddy hash-password' did not print a bcrypt hash" >&2; exit 1 ;;
  esac
}

umask 077
mkdir -p "$AUTH_DIR"
# The directory is traversable by the readers (the files themselves are 0400).
chmod 0755 "$AUTH_DIR"
tmp="$(mktemp -d "$AUTH_DIR/.render-XXXXXX")"

for svc in prometheus alertmanager; do
  case "$svc" in
    prometheus) pw="$PROMETHEUS_PASSWORD" ;;
    alertmanager) pw="$ALERTMANAGER_PASSWORD" ;;
  esac
  printf 'basic_auth_users:\n  %s: %s\n' "$USER_NAME" "$(hash "$pw")" > "$tmp/$svc-web.yml"
  printf '%s' "$pw" > "$tmp/$svc.password"
  printf 'basic_auth:\n  username: %s\n  password_file: %s/%s.password\n' "$USER_NAME" "$AUTH_MOUNT" "$svc" > "$tmp/$svc-client.yml"
done
printf 'basic_auth {\n\t%s %s\n}\n' "$USER_NAME" "$(hash "$JAEGER_UI_PASSWORD")" > "$tmp/jaeger-basic-auth.caddy"
# base64 has no quote or space: safe inside the Caddyfile's double quotes.
printf 'header_up Authorization "Basic %s"\n' "$(printf '%s:%s' "$USER_NAME" "$PROMETHEUS_PASSWORD" | base64 | tr -d '\n')" > "$tmp/prometheus-upstream-auth.caddy"

chmod 0400 "$tmp"/*
if [ "$(id -u)" = 0 ]; then chown 65534:65534 "$tmp"/*; fi
# Replace the previous set (a changed password takes effect on the next `up`).
for f in "$tmp"/*; do mv -f "$f" "$AUTH_DIR/"; done
rmdir "$tmp"
echo "render.sh: credentials written to $AUTH_DIR for user $USER_NAME"
