#!/bin/sh
# One-shot job of docker-compose.yml (service temporal-schema), run by the temporalio/admin-tools image
# of the same version as the server: creates Temporal's two PostgreSQL databases and brings their
# schemas to the version that image ships, as the official compose setup (temporalio/samples-server)
# does. Safe to run again on every `up`: `create` ignores an existing database, `setup-schema -v 0.0`
# only initialises an empty one, and `update-schema` applies just the versions still missing, which
# is also how a server upgrade migrates (bump TEMPORAL_VERSION, `docker compose up -d`).
#
# Env: POSTGRES_SEEDS (host), DB_PORT, POSTGRES_USER, SQL_PASSWORD (read by temporal-sql-tool),
#      DBNAME, VISIBILITY_DBNAME.
set -eu

schema_root=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

setup() {
  database=$1
  versioned=$2
  echo "temporal-schema: database \"$database\""
  sql_tool --db "$database" create
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$schema_root/$versioned/versioned"
}

setup "$DBNAME" temporal
setup "$VISIBILITY_DBNAME" visibility
echo 'temporal-schema: done'
