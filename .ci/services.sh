#!/usr/bin/env bash
# Sourced by .ci/run (and usable by hand: `source .ci/services.sh`): Redis and PostgreSQL for the
# shared-state tests (cross-instance replay, PostgreSQL feedback). Installs them from Debian only
# when missing, starts each on loopback on a free port with scratch data (PostgreSQL as the
# postgres user: it refuses to run as root), stops them on exit, and exports the URLs the tests
# read: CDS_TEST_REDIS_URL and CDS_TEST_POSTGRES_URL.
ci_missing=()
command -v redis-server >/dev/null || ci_missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || ci_missing+=(postgresql)
if [ ${#ci_missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${ci_missing[@]}"
fi
ci_free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
CI_SCRATCH=$(mktemp -d /tmp/imaging-cds-services.XXXXXX)
chmod 755 "$CI_SCRATCH"
ci_redis_port=$(ci_free_port)
redis-server --bind 127.0.0.1 --port "$ci_redis_port" --dir "$CI_SCRATCH" --save '' \
  --appendonly no --daemonize yes --pidfile "$CI_SCRATCH/redis.pid" --logfile "$CI_SCRATCH/redis.log"
ci_pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
ci_pg_port=$(ci_free_port)
mkdir -p "$CI_SCRATCH/pg" && touch "$CI_SCRATCH/pg.log"
chown postgres:postgres "$CI_SCRATCH/pg" "$CI_SCRATCH/pg.log"
runuser -u postgres -- "$ci_pg_bin/initdb" -D "$CI_SCRATCH/pg" -U postgres -A trust --no-sync >/dev/null
runuser -u postgres -- "$ci_pg_bin/pg_ctl" -D "$CI_SCRATCH/pg" -l "$CI_SCRATCH/pg.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $ci_pg_port -k $CI_SCRATCH/pg -c fsync=off" start >/dev/null
runuser -u postgres -- "$ci_pg_bin/createdb" -h 127.0.0.1 -p "$ci_pg_port" -U postgres imaging_cds_test
ci_services_stop() {
  runuser -u postgres -- "$ci_pg_bin/pg_ctl" -D "$CI_SCRATCH/pg" -m fast stop >/dev/null 2>&1 || true
  kill "$(cat "$CI_SCRATCH/redis.pid" 2>/dev/null)" 2>/dev/null || true
  rm -rf "$CI_SCRATCH"
}
trap ci_services_stop EXIT
export CDS_TEST_REDIS_URL="redis://127.0.0.1:$ci_redis_port"
export CDS_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$ci_pg_port/imaging_cds_test"
echo "services: Redis at $CDS_TEST_REDIS_URL, PostgreSQL at $CDS_TEST_POSTGRES_URL (data in $CI_SCRATCH)"
