-- Databases of the reference services. Run once on a new PostgreSQL data directory:
-- by the postgres image's /docker-entrypoint-initdb.d in compose, by the native stack after initdb.
CREATE DATABASE shop;
CREATE DATABASE crm;
CREATE DATABASE mes;

-- The order watchdog's role, read-only on the services' databases, and its own database
-- `watchdog` for its state (idempotent; the native stack also runs it on every start of the
-- watchdog, for data directories initialized before the role or the database existed).
\ir watchdog-role.sql
