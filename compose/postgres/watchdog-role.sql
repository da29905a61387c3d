-- The order watchdog's read-only role (packages/order-watchdog): it reads the services' records
-- (orders, contracts, jobs) and writes nothing. Idempotent. Password from WATCHDOG_DB_PASSWORD
-- in psql's environment (compose's postgres service sets it), else the development default.
\getenv watchdog_password WATCHDOG_DB_PASSWORD
\if :{?watchdog_password}
\else
  \set watchdog_password 'watchdog-dev'
\endif
SELECT format('CREATE ROLE watchdog LOGIN PASSWORD %L', :'watchdog_password')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'watchdog') \gexec
GRANT pg_read_all_data TO watchdog;
ALTER ROLE watchdog SET default_transaction_read_only = on;
