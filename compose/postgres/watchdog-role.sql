-- The order watchdog's role (packages/order-watchdog): it reads the services' records (orders,
-- contracts, jobs); there it may write only the one "sent" column each service grants it for a
-- replay (shop-api: orders.published_at, crm-api: crm.contracts.production_requested_at, granted
-- by the services' own migrations). It writes its own state in its own database `watchdog`, which
-- it owns (it creates its table there itself, at start). Idempotent.
-- Password from the file WATCHDOG_DB_PASSWORD_FILE names (compose's postgres service: a compose
-- secret), else from WATCHDOG_DB_PASSWORD in psql's environment (the native stack), else the
-- development default.
\getenv watchdog_password_file WATCHDOG_DB_PASSWORD_FILE
\getenv watchdog_password WATCHDOG_DB_PASSWORD
\if :{?watchdog_password_file}
  \set watchdog_password `cat :'watchdog_password_file'`
\elif :{?watchdog_password}
\else
  \set watchdog_password 'watchdog-dev'
\endif
SELECT format('CREATE ROLE watchdog LOGIN PASSWORD %L', :'watchdog_password')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchdog') \gexec
GRANT pg_read_all_data TO watchdog;
-- Read-only by default: the watchdog's sessions on the services' databases stay so; its state
-- connection and a replay's turn this off for themselves. The services' tables are safe by
-- privileges anyway (pg_read_all_data, no write grant but those single columns).
ALTER ROLE watchdog SET default_transaction_read_only = on;

-- The watchdog's state (WATCHDOG_STATE_DATABASE_URL). CREATE DATABASE cannot run in a DO block:
-- \gexec runs it only when the database is missing.
SELECT 'CREATE DATABASE watchdog OWNER watchdog'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'watchdog') \gexec
ALTER DATABASE watchdog OWNER TO watchdog;
-- Only its owner (and superusers) connect to it.
REVOKE ALL ON DATABASE watchdog FROM PUBLIC;
