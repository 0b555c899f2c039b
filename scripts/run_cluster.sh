#!/usr/bin/env bash
# The production topology as plain processes (what docker-compose.yml runs):
# nginx in front of two desks (:8000) and two Rasa replicas (:5005), one action
# server, this machine's PostgreSQL (trackers, desk, shop data) and Redis (lock
# store, desk pub/sub). Like compose's `restart: unless-stopped`, a process that
# dies is started again (logged in $RUN/logs/supervisor.log); its current pid is
# in $RUN/pids/<name>.pid, which the fault tests use. Ctrl-C stops everything.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=$PWD/.venv/bin
# Rasa's command line with our extensions applied, after checking Rasa's version (shopbot/rasa_ext/).
RASA=("$BIN/python" -m shopbot.rasa_ext)
RUN=${CLUSTER_DIR:-var/cluster}
mkdir -p "$RUN/logs" "$RUN/pids"
RUN=$(cd "$RUN" && pwd)
rm -f "$RUN/stopping"

. scripts/require_tokens.sh
require_tokens "make run-cluster"
# Every process but nginx listens on 127.0.0.1 only (rasa-sdk reads the address from SANIC_HOST).
export SANIC_HOST=127.0.0.1

export POSTGRES_HOST=${POSTGRES_HOST:-127.0.0.1} POSTGRES_PORT=${POSTGRES_PORT:-5432}
export POSTGRES_USER=${POSTGRES_USER:-postgres} POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-}
export POSTGRES_TRACKER_DB=${POSTGRES_TRACKER_DB:-shopbot_trackers}
export POSTGRES_DB=${POSTGRES_DB:-shopbot}
export REDIS_HOST=${REDIS_HOST:-127.0.0.1} REDIS_PORT=${REDIS_PORT:-6379} REDIS_LOCK_DB=${REDIS_LOCK_DB:-1}
export ACTION_SERVER_URL=http://127.0.0.1:${ACTIONS_PORT}/webhook
PG_URL="postgresql://${POSTGRES_USER}${POSTGRES_PASSWORD:+:$POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}"
export SHOP_DB_URL="$PG_URL/$POSTGRES_DB" DESK_DB_URL="$PG_URL/$POSTGRES_DB"
export TRACKER_STORE_URL="$PG_URL/$POSTGRES_TRACKER_DB"
export REDIS_URL="redis://${REDIS_HOST}:${REDIS_PORT}/0"
# A replica killed mid-message leaves its conversation's lock ticket behind; Rasa's
# default keeps it 60 s, longer than the desk waits. One message takes well under 10 s.
export TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-10}
# One TensorFlow thread per replica: with two replicas on two cores, TF's own thread
# pools only fight each other (measured: bare Rasa p50 652 -> 279 ms at 30 msg/s).
export TF_INTRA_OP_PARALLELISM_THREADS=${TF_INTRA_OP_PARALLELISM_THREADS:-1}
export TF_INTER_OP_PARALLELISM_THREADS=${TF_INTER_OP_PARALLELISM_THREADS:-1}
# Third-party deprecation warnings are for their authors: the logs show ours and the failures.
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::FutureWarning}
read -r -a RASA_REPLICAS <<<"${RASA_REPLICA_PORTS:-5011 5012}"
read -r -a DESK_REPLICAS <<<"${DESK_REPLICA_PORTS:-8001 8002}"
# The desks pick among the Rasa replicas themselves (the least busy), no balancer hop;
# nginx's :$RASA_PORT stays Rasa's REST port for everything else (trainers, checks).
RASA_REPLICA_URLS=$(printf 'http://127.0.0.1:%s,' "${RASA_REPLICAS[@]}")
RASA_REPLICA_URLS=${RASA_REPLICA_URLS%,}

for service in "PostgreSQL:$POSTGRES_HOST:$POSTGRES_PORT" "Redis:$REDIS_HOST:$REDIS_PORT"; do
  IFS=: read -r name host port <<<"$service"
  if ! (echo >"/dev/tcp/$host/$port") 2>/dev/null; then
    echo "error: $name is not reachable at $host:$port; start it or set ${name^^}_HOST/PORT." >&2
    exit 1
  fi
done
"$BIN/python" - <<PY || exit 1
import sqlalchemy as sa
engine = sa.create_engine("$PG_URL/postgres", isolation_level="AUTOCOMMIT")
with engine.connect() as conn:
    for name in ("$POSTGRES_DB", "$POSTGRES_TRACKER_DB"):
        if not conn.execute(sa.text("select 1 from pg_database where datname=:n"), {"n": name}).scalar():
            conn.execute(sa.text(f'create database "{name}"'))
PY

pids=()
stop_all() {
  trap - INT TERM EXIT
  touch "$RUN/stopping"  # no supervisor starts anything again from now on
  [ ${#pids[@]} -gt 0 ] && { echo; echo "Stopping the cluster..."; kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; }
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

supervise() {  # name, log, command...: run it, and start it again whenever it dies
  local name=$1 log=$2
  shift 2
  (
    child= quick_exits=0
    trap '[ -n "$child" ] && kill "$child" 2>/dev/null; wait; exit 0' TERM
    while true; do
      started=$SECONDS
      # Its own session: Ctrl-C reaches this script, which stops the processes in order,
      # instead of killing them all at once behind their supervisors' backs.
      setsid "$@" >>"$log" 2>&1 &
      child=$!
      echo "$child" >"$RUN/pids/$name.pid"
      wait "$child"
      status=$?
      [ -e "$RUN/stopping" ] && exit 0
      # Dying within 10 s of starting, three times running, is a broken setup, not a crash.
      if (( SECONDS - started < 10 )); then quick_exits=$((quick_exits + 1)); else quick_exits=0; fi
      if (( quick_exits >= 3 )); then
        echo "$(date '+%F %T') $name keeps failing at start (status $status); giving up" >>"$RUN/logs/supervisor.log"
        exit 1
      fi
      echo "$(date '+%F %T') $name (pid $child) exited with status $status; starting it again" >>"$RUN/logs/supervisor.log"
      sleep 1
    done
  ) &
  pids+=($!)
}

wait_for() {  # url, name, pid, log
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "error: $2 stopped while starting; $4 ends with:" >&2; tail -n 20 "$4" >&2; return 1; }
    sleep 0.5
  done
  echo "error: $2 did not answer within 2 minutes; see $4" >&2; return 1
}

supervise actions "$RUN/logs/actions.log" "${RASA[@]}" run actions --actions actions --port "$ACTIONS_PORT"
wait_for "http://127.0.0.1:$ACTIONS_PORT/health" "action server" "${pids[-1]}" "$RUN/logs/actions.log" || exit 1
for port in "${RASA_REPLICAS[@]}"; do
  supervise "rasa-$port" "$RUN/logs/rasa-$port.log" "${RASA[@]}" run --enable-api \
    --interface 127.0.0.1 --model models --endpoints endpoints.production.yml --credentials credentials.yml \
    --port "$port"
done
for port in "${RASA_REPLICAS[@]}"; do
  wait_for "http://127.0.0.1:$port/version" "Rasa replica $port" "${pids[-1]}" "$RUN/logs/rasa-$port.log" || exit 1
done
for port in "${DESK_REPLICAS[@]}"; do
  supervise "desk-$port" "$RUN/logs/desk-$port.log" \
    env DESK_PORT="$port" DESK_PROXIES=1 RASA_URL="http://127.0.0.1:$RASA_PORT" RASA_REPLICA_URLS="$RASA_REPLICA_URLS" \
    "$BIN/python" -m shopbot.desk
  wait_for "http://127.0.0.1:$port/health" "desk replica $port" "${pids[-1]}" "$RUN/logs/desk-$port.log" || exit 1
done

NGINX_CONF="$RUN/nginx.conf"
sed -e "s#@RUN@#$RUN#g" -e "s#@RASA_PORT@#$RASA_PORT#g" -e "s#@DESK_PORT@#$DESK_PORT#g" \
    -e "s#@NGINX_RATE@#${NGINX_RATE:-10r/s}#g" -e "s#@NGINX_BURST@#${NGINX_BURST:-40}#g" \
    -e "s#@NGINX_CONNECTIONS@#${NGINX_CONNECTIONS:-30}#g" \
    -e "s#@RASA_UPSTREAMS@#$(printf 'server 127.0.0.1:%s max_fails=1 fail_timeout=5s; ' "${RASA_REPLICAS[@]}")#" \
    -e "s#@DESK_UPSTREAMS@#$(printf 'server 127.0.0.1:%s max_fails=1 fail_timeout=5s; ' "${DESK_REPLICAS[@]}")#" \
    deploy/nginx.conf.template >"$NGINX_CONF"
supervise nginx "$RUN/logs/nginx.out" nginx -c "$NGINX_CONF" -p "$RUN" -g "daemon off;"
wait_for "http://127.0.0.1:$DESK_PORT/health" "nginx" "${pids[-1]}" "$RUN/logs/nginx.out" || exit 1

cat <<MSG

The cluster is running (2 Rasa replicas, 1 action server, 2 desks, PostgreSQL, Redis).
  Storefront demo:  http://127.0.0.1:$DESK_PORT/        (nginx -> desks ${DESK_REPLICAS[*]})
  Agent console:    http://127.0.0.1:$DESK_PORT/console
  Rasa REST:        http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  (nginx -> Rasa ${RASA_REPLICAS[*]})
                    metadata.account only with -H "Authorization: Bearer \$CHANNEL_TOKEN"
  Tokens:           var/tokens.env, or your RASA_TOKEN, CHANNEL_TOKEN, ACTIONS_TOKEN
  Logs:             $RUN/logs/
Press Ctrl-C to stop everything.
MSG
wait -n "${pids[@]}"
echo "error: a process of the cluster keeps failing; see $RUN/logs/supervisor.log" >&2
exit 1
