#!/usr/bin/env bash
# Runs the screen-pop benchmark (customer_context_bench.cc) end to end: builds it in
# build-bench (Release) when needed, starts a throwaway PostgreSQL 15 cluster on 127.0.0.1,
# loads the same data set into it and prints the ratios against the targets.
#
# Usage: tests/bench/run_customer_context_bench.sh [--customers N] [--ci] [-- BENCH_OPTIONS...]
#   --customers N   customers in the data set (default 1,000,000; with --ci 20,000)
#   --ci            small quick run (about a minute once built)
#   after --        passed to customer_context_bench as is (e.g. -- --samples 50000)
#
# The RocksDB data set lives in var/bench/customers-N and is reused by later runs with the
# same N. The PostgreSQL cluster lives in a temporary directory and is stopped and removed
# on exit, whatever happens. Environment: PG_BIN (default /usr/lib/postgresql/15/bin),
# PG_PORT (first port to try, default 55432).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly ROOT
readonly BUILD_DIR="${ROOT}/build-bench"
readonly BENCH="${BUILD_DIR}/tests/bench/customer_context_bench"
readonly DATA_ROOT="${ROOT}/var/bench"
readonly PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
readonly PG_DATABASE="servicedesk_bench"
# Cache memory of each database: PostgreSQL's shared_buffers and RocksDB's block cache get
# the same, so that neither wins by caching more (at 1,000,000 customers the samples' working
# set is larger than servicedeskd's default 256 MiB block cache).
readonly CACHE_MB=2048

usage() {
  sed -n '/^# Usage:/,/^# PG_PORT/p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  echo "run_customer_context_bench.sh: $*" >&2
  exit 2
}

customers=""
ci=0
bench_extra=()
while (($#)); do
  case "$1" in
    --customers)
      (($# >= 2)) || die "--customers needs a value"
      customers="$2"
      shift 2
      ;;
    --customers=*)
      customers="${1#*=}"
      shift
      ;;
    --ci)
      ci=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      bench_extra=("$@")
      break
      ;;
    *)
      usage >&2
      die "unknown option: $1"
      ;;
  esac
done
if [[ -z "${customers}" ]]; then
  if ((ci)); then customers=20000; else customers=1000000; fi
fi
[[ "${customers}" =~ ^[1-9][0-9]*$ ]] || die "--customers: '${customers}' is not a positive number"
[[ -x "${PG_BIN}/initdb" ]] || die "no PostgreSQL 15 server binaries in ${PG_BIN} (Debian: postgresql-15)"

# --- build (our own directory: never the developer's build/) ---------------------------------
if [[ ! -f "${BUILD_DIR}/CMakeCache.txt" ]]; then
  cmake -S "${ROOT}" -B "${BUILD_DIR}" -DCMAKE_BUILD_TYPE=Release -DSERVICEDESK_BENCHMARKS=ON
fi
# Two jobs: the machine has two cores and is shared.
make -s -C "${BUILD_DIR}" -j2 customer_context_bench

# --- PostgreSQL ------------------------------------------------------------------------------
# PostgreSQL refuses to run as root; as root, run it as the Debian package's postgres user.
as_postgres() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pg_dir=""
pg_started=0
cleanup() {
  local status=$?
  if ((pg_started)); then
    if ((status != 0)); then
      echo "--- last lines of the PostgreSQL log (${pg_dir}/postgresql.log):" >&2
      tail -n 20 "${pg_dir}/postgresql.log" >&2 || true
    fi
    as_postgres "${PG_BIN}/pg_ctl" -D "${pg_dir}/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [[ -n "${pg_dir}" ]]; then
    rm -rf "${pg_dir}"
  fi
  exit "${status}"
}
trap cleanup EXIT
# Make Ctrl-C and kill go through the EXIT trap, so PostgreSQL never outlives the script.
trap 'exit 130' INT
trap 'exit 143' TERM

pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/servicedesk-bench-pg.XXXXXX")"
if ((EUID == 0)); then
  chown postgres:postgres "${pg_dir}"
fi

port="${PG_PORT:-55432}"
while port_in_use "${port}"; do
  port=$((port + 1))
done

# C locale: text compares bytewise, as RocksDB keys do.
if ! as_postgres "${PG_BIN}/initdb" -D "${pg_dir}/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C >"${pg_dir}/initdb.log" 2>&1; then
  cat "${pg_dir}/initdb.log" >&2
  die "initdb failed"
fi

# Sized for a 24 GiB machine. Durability is off (fsync, full pages, synchronous commit):
# the benchmark measures reads, and the cluster is thrown away afterwards. JIT is off
# because it only slows down short OLTP queries like these.
cat >>"${pg_dir}/data/postgresql.conf" <<EOF

# --- run_customer_context_bench.sh
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${pg_dir}'
max_connections = 100
shared_buffers = ${CACHE_MB}MB
effective_cache_size = 16GB
work_mem = 16MB
maintenance_work_mem = 1GB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 16GB
checkpoint_timeout = 1h
jit = off
EOF

as_postgres "${PG_BIN}/pg_ctl" -D "${pg_dir}/data" -l "${pg_dir}/postgresql.log" -w -t 120 \
  start >/dev/null
pg_started=1
"${PG_BIN}/createdb" -h 127.0.0.1 -p "${port}" -U postgres "${PG_DATABASE}"
echo "postgres: PostgreSQL 15 on 127.0.0.1:${port} (cluster in ${pg_dir}, removed on exit)"

# --- the benchmark ---------------------------------------------------------------------------
mkdir -p "${DATA_ROOT}"
bench_args=(
  --customers "${customers}"
  --data-dir "${DATA_ROOT}/customers-${customers}"
  --pg-host 127.0.0.1
  --pg-port "${port}"
  --pg-user postgres
  --pg-dbname "${PG_DATABASE}"
  --load-pg
  --block-cache-mb "${CACHE_MB}"
)
if ((ci)); then
  bench_args+=(--ci)
fi
"${BENCH}" "${bench_args[@]}" "${bench_extra[@]}"
