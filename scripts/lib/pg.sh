# shellcheck shell=bash disable=SC2034  # PG_* are read by the scripts that source this
# Throwaway PostgreSQL clusters for tests and benchmarks.
# Sourced by scripts/test and scripts/pg-throwaway, so the logic lives in one place.
#
# pg_start_throwaway  sets PG_BIN, PG_DIR, PG_PORT, PG_URL (returns non-zero on failure)
# pg_stop_throwaway [DIR]  stops the cluster in DIR (default $PG_DIR) and deletes DIR
# pg_start_kept DIR   the same kind of cluster, but in DIR and kept: made there on first use, started
#                     again on what is there later (benchmarks that reuse a seeded database); sets PG_*
# pg_stop_kept [DIR]  stops it cleanly and leaves DIR
# With PG_SSL=1 the cluster also offers TLS, with a self-signed certificate for 127.0.0.1 whose path is
# then in PG_CA (clients choose with ?sslmode=; plain connections still work).

PG_DB=zhengtong_test
# initdb must run as a user that can own the data dir; /tmp is reachable by that
# user, whereas a $TMPDIR under /root may not be.
PG_TMP_BASE=${ZHENGTONG_PG_TMPDIR:-/tmp}

# Server binaries of the highest installed major version (Debian keeps them off PATH).
pg_bindir() {
  local d
  # sort -V so that 16 beats 9.6 (a plain glob sorts lexically).
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    if [[ -x $d/initdb && -x $d/pg_ctl ]]; then echo "$d"; return 0; fi
  done
  # Other systems (Homebrew, Arch, ...) put them on PATH.
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

# initdb/postgres refuse to run as root, so as root run them as `postgres`
# (created by Debian's postgresql-common); any other user runs them directly.
# cd to the cluster dir first: the owner may not be able to enter the caller's cwd.
pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$PG_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$PG_DIR" && "$@")
  fi
}

# A port that nothing listens on now, below Linux's ephemeral range (32768+) so
# outgoing connections will not grab it meanwhile. Races remain; the caller retries.
pg_pick_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 12000))
    # Connection refused means no listener. (Subshell: the fd closes with it.)
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

pg_start_throwaway() {
  pg_check_tools || return 1
  PG_DIR=$(mktemp -d "$PG_TMP_BASE/zhengtong-pg.XXXXXX") || return 1
  if [[ $EUID -eq 0 ]]; then chown postgres: "$PG_DIR"; fi
  pg_init_cluster || return 1
  pg_run_cluster || return 1
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB" || return 1
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
  PG_CA=""
  if [[ ${PG_SSL:-} == 1 ]]; then PG_CA=$PG_DIR/data/server.crt; fi
}

pg_start_kept() {
  local dir=$1
  pg_check_tools || return 1
  mkdir -p "$dir" || return 1
  PG_DIR=$(cd "$dir" && pwd) || return 1
  if [[ $EUID -eq 0 ]]; then
    chown postgres: "$PG_DIR"
    # Every directory above must let postgres through (one under /root does not).
    runuser -u postgres -- test -w "$PG_DIR" || { echo "pg: user postgres cannot write $PG_DIR; use a directory under /tmp" >&2; return 1; }
  fi
  local fresh=0
  if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
    pg_init_cluster || return 1
    fresh=1
  fi
  pg_run_cluster || return 1
  if ((fresh)); then "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB" || return 1; fi
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
}

pg_check_tools() {
  PG_BIN=$(pg_bindir) || { echo "pg: no PostgreSQL server binaries (initdb, pg_ctl) found" >&2; return 1; }
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    echo "pg: running as root but there is no 'postgres' user to own the cluster" >&2; return 1
  fi
}

# initdb in $PG_DIR/data, configured for loopback and speed.
pg_init_cluster() {
  # C.UTF-8 gives UTF-8 with byte-order collation everywhere; older systems may lack it.
  local locale_opt=(--locale=C.UTF-8)
  locale -a 2>/dev/null | grep -qixE 'c\.utf-?8' || locale_opt=(--no-locale)
  # --no-sync: nothing here needs to survive a crash, and it saves seconds.
  if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust \
      --encoding=UTF8 "${locale_opt[@]}" --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    echo "pg: initdb failed:" >&2; cat "$PG_DIR/initdb.log" >&2; return 1
  fi

  # Loopback TCP only, our own socket dir (not /var/run/postgresql, which may be
  # missing or belong to the Debian default cluster), durability off for speed,
  # and room for tests that open many pools at once (each pool grows to 20 connections; with 200
  # the parallel suite ran out: "too many clients already").
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 500
EOF
  if [[ ${PG_SSL:-} == 1 ]]; then
    if command -v openssl >/dev/null; then
      pg_enable_ssl || return 1
    else
      echo "pg: no openssl, so the cluster offers no TLS (the TLS tests will skip)" >&2
      PG_SSL=0
    fi
  fi
}

# A self-signed certificate for 127.0.0.1 (its own CA), and ssl = on.
pg_enable_ssl() {
  local data=$PG_DIR/data
  if ! openssl req -new -x509 -days 30 -nodes -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
      -keyout "$data/server.key" -out "$data/server.crt" >"$PG_DIR/openssl.log" 2>&1; then
    echo "pg: could not make a TLS certificate (is openssl installed?):" >&2; cat "$PG_DIR/openssl.log" >&2; return 1
  fi
  chmod 600 "$data/server.key"
  if [[ $EUID -eq 0 ]]; then chown postgres: "$data/server.key" "$data/server.crt"; fi
  echo "ssl = on" >>"$data/postgresql.conf"
}

# Starts the cluster in $PG_DIR/data on a free port; sets PG_PORT.
pg_run_cluster() {
  for _ in 1 2 3 4 5; do
    PG_PORT=$(pg_pick_port)
    if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
        -o "-p $PG_PORT" -w -t 60 start >>"$PG_DIR/pg_ctl.log" 2>&1; then
      break
    fi
    # Most likely someone took the port between the check and the bind: try another.
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    PG_PORT=
  done
  if [[ -z $PG_PORT ]]; then
    echo "pg: server did not start:" >&2
    tail -n 5 "$PG_DIR/pg_ctl.log" >&2; tail -n 20 "$PG_DIR/server.log" >&2 2>/dev/null; return 1
  fi
}

pg_stop_throwaway() {
  local dir=${1:-${PG_DIR:-}}
  [[ -n $dir && -d $dir ]] || return 0
  # rm -rf only what we made.
  if [[ $(basename "$dir") != zhengtong-pg.* ]]; then
    echo "pg: refusing to delete $dir: not a throwaway cluster dir" >&2; return 1
  fi
  local pidfile=$dir/data/postmaster.pid
  if [[ -f $pidfile ]]; then
    local bin; bin=${PG_BIN:-$(pg_bindir)} || bin=
    # Immediate: the data is about to be deleted, so skip the shutdown checkpoint.
    if [[ -n $bin ]]; then
      PG_DIR=$dir pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    # Never leave a server running on a deleted data dir.
    if [[ -f $pidfile ]]; then kill -KILL "$(head -n 1 "$pidfile")" 2>/dev/null || true; fi
  fi
  rm -rf "$dir"
}

pg_stop_kept() {
  local dir=${1:-${PG_DIR:-}}
  [[ -n $dir && -f $dir/data/postmaster.pid ]] || return 0
  local bin; bin=${PG_BIN:-$(pg_bindir)} || return 1
  # Fast, not immediate: a clean checkpoint, so that the next start needs no recovery.
  PG_DIR=$dir pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}
