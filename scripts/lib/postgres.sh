# A throw-away PostgreSQL server for the test suite (sourced by scripts/test).
# shellcheck shell=bash
#
#   start_test_postgres <parent-folder>   initdb + start; exports PASSERELLE_TEST_POSTGRES
#   stop_test_postgres                    stops it and removes its folder (safe to call twice)
#
# The server is Debian's `postgresql` package, run from its own binaries (never the
# system cluster): data, socket and log live in one temporary folder, it listens on
# 127.0.0.1 only, on a free port, and trusts only loopback connections. initdb and
# postgres refuse to run as root, so under root they run as the package's `postgres`
# user, which then owns the folder. Tests read PASSERELLE_TEST_POSTGRES (a libpq
# conninfo without password) and, with PASSERELLE_POSTGRES_REQUIRED=1, fail instead
# of skipping when it is missing (tests/integration/support/postgres_server.h).
#
# The suite's server runs with fsync=off (its data dies with the run). With
# PASSERELLE_POSTGRES_DURABLE=1 it runs with fsync=on and synchronous_commit=on instead,
# so a commit waits for the disk as in production: scripts/bench-store measures that.

PASSERELLE_TEST_POSTGRES_DIR=

# The newest installed server's bin folder, e.g. /usr/lib/postgresql/15/bin.
postgres_bin_dir() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  [[ -n $dir && -x $dir/pg_ctl ]] || return 1
  printf '%s\n' "$dir"
}

# Runs a command as the user that owns the test server.
as_postgres_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_loopback_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_test_postgres() {
  local parent=$1 bin port dir
  bin=$(postgres_bin_dir) || die "PostgreSQL server binaries not found under /usr/lib/postgresql (install the 'postgresql' package)"
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    die "running as root, the test PostgreSQL needs the unprivileged 'postgres' user (the 'postgresql' package creates it)"
  fi
  mkdir -p "$parent"
  dir=$(mktemp -d "$parent/postgres.XXXXXX")
  PASSERELLE_TEST_POSTGRES_DIR=$dir
  chmod 0700 "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
  # The postgres user must be able to reach the folder through the build tree.
  [[ $(id -u) -eq 0 ]] && chmod o+x "$parent"
  as_postgres_owner test -w "$dir" \
    || die "the 'postgres' user cannot reach $dir: give its parent folders o+x or set PASSERELLE_BUILD_DIR elsewhere"

  say "starting a test PostgreSQL ($("$bin/postgres" --version | awk '{print $3}')) in ${dir#"$PASSERELLE_ROOT"/}/"
  as_postgres_owner "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=trust >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed for the test PostgreSQL (log above)"; }
  # Loopback only: no other host may connect. Members of passerelle_password_auth
  # must give their password, so tests can check what a wrong one does.
  as_postgres_owner sh -c "printf '%s\n' 'local all all trust' \
    'host all +passerelle_password_auth 127.0.0.1/32 scram-sha-256' \
    'host all all 127.0.0.1/32 trust' >'$dir/data/pg_hba.conf'"

  local durability="-c fsync=off"
  if [[ ${PASSERELLE_POSTGRES_DURABLE:-} == 1 ]]; then
    durability="-c fsync=on -c synchronous_commit=on"
  fi

  local attempt
  for attempt in 1 2 3; do
    port=$(free_loopback_port)
    if as_postgres_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' $durability" \
      start >"$dir/pg_ctl.log" 2>&1; then
      break
    fi
    ((attempt == 3)) && { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; die "the test PostgreSQL did not start (log above)"; }
  done

  as_postgres_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE passerelle LOGIN CREATEDB CREATEROLE" \
    -c "CREATE ROLE passerelle_password_auth NOLOGIN" \
    -c "CREATE DATABASE passerelle_test OWNER passerelle" \
    >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log" >&2; die "could not create the test role and database"; }

  export PASSERELLE_TEST_POSTGRES="host=127.0.0.1 port=$port dbname=passerelle_test user=passerelle"
  export PASSERELLE_POSTGRES_REQUIRED=1
}

stop_test_postgres() {
  local dir=$PASSERELLE_TEST_POSTGRES_DIR bin
  [[ -n $dir && -d $dir ]] || return 0
  PASSERELLE_TEST_POSTGRES_DIR=
  if bin=$(postgres_bin_dir) && [[ -f $dir/data/postmaster.pid ]]; then
    as_postgres_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
