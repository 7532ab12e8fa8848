# Sourced by .ci/run: a throwaway PostgreSQL cluster in a temp dir on a free loopback port.
# pg_start exports SCOPEKEEPER_TEST_POSTGRES; pg_stop removes the cluster.
PG_BIN=/usr/lib/postgresql/15/bin

free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
		return
	fi
	local port
	while :; do
		port=$((20000 + RANDOM % 20000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
	done
}

pg_start() {
	PG_DIR=$(mktemp -d /tmp/scopekeeper-pg.XXXXXX)
	PG_PORT=$(free_port)
	chown postgres "$PG_DIR"
	su postgres -s /bin/sh -c "$PG_BIN/initdb -D '$PG_DIR/data' -U postgres -A trust --no-sync -E UTF8" >"$PG_DIR/initdb.log"
	su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' -l '$PG_DIR/server.log' -w -o \"-p $PG_PORT -k '$PG_DIR' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >/dev/null
	export SCOPEKEEPER_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
	echo "PostgreSQL test cluster on 127.0.0.1:$PG_PORT"
}

pg_stop() {
	[ -n "${PG_DIR:-}" ] || return 0
	su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D '$PG_DIR/data' -m fast -w stop" >/dev/null 2>&1 || true
	rm -rf "$PG_DIR"
}
