-- Databases of the reference services. Run once on a new PostgreSQL data directory:
-- by the postgres image's /docker-entrypoint-initdb.d in compose, by the native stack after initdb.
CREATE DATABASE shop;
CREATE DATABASE crm;
CREATE DATABASE mes;
