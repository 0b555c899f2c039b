#!/usr/bin/env bash
# Start the assistant's processes, say where they are, stop them all on Ctrl-C.
# Called by `make run` (and `make shell` with --shell) after setup and training.
set -uo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
# Rasa's command line with our extensions applied, after checking Rasa's version (shopbot/rasa_ext/).
RASA=("$BIN/python" -m shopbot.rasa_ext)
MODEL=models/shopbot.tar.gz
LOGS=${LOG_DIR:-var/log}
mkdir -p "$LOGS"
# Third-party deprecation warnings are for their authors: the logs show ours and the failures.
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::FutureWarning}

port_free() {
  "$BIN/python" - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

. scripts/require_tokens.sh
require_tokens "make run"
# The demo storefront plays the shop's server and signs any ?account= (never in production).
export DESK_DEMO=1

for pair in "RASA_PORT:$RASA_PORT" "ACTIONS_PORT:$ACTIONS_PORT" "DESK_PORT:$DESK_PORT"; do
  name=${pair%%:*}; port=${pair#*:}
  if ! port_free "$port"; then
    echo "error: port $port ($name) is already in use." >&2
    echo "       Stop whatever uses it, or choose another: make run $name=<free port>" >&2
    exit 1
  fi
done

pids=()
stop_all() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo; echo "Stopping the assistant..."
    kill "${pids[@]}" 2>/dev/null
    wait "${pids[@]}" 2>/dev/null
  fi
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

wait_for() {  # url, name, pid, log
  for _ in $(seq 1 240); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then
      echo "error: the $2 stopped while starting. Its log ($4) ends with:" >&2
      tail -n 20 "$4" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "error: the $2 did not answer within 2 minutes; see $4" >&2
  return 1
}

echo "Starting the action server on port $ACTIONS_PORT..."
# Every internal port listens on 127.0.0.1 only (rasa-sdk reads the address from SANIC_HOST).
SANIC_HOST=127.0.0.1 "${RASA[@]}" run actions --actions actions --port "$ACTIONS_PORT" >"$LOGS/actions.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$ACTIONS_PORT/health" "action server" "${pids[-1]}" "$LOGS/actions.log" || exit 1

if [ "${1:-}" = "--shell" ]; then
  "${RASA[@]}" shell --model "$MODEL" --endpoints endpoints.yml --port "$RASA_PORT" --interface 127.0.0.1
  exit $?
fi

echo "Starting Rasa on port $RASA_PORT (loading the model takes a few seconds)..."
# The API's token is RASA_TOKEN, which shopbot.rasa_ext passes on (not on the command line, which anyone sees).
"${RASA[@]}" run --enable-api --interface 127.0.0.1 --model "$MODEL" \
  --endpoints endpoints.yml --credentials credentials.yml --port "$RASA_PORT" >"$LOGS/rasa.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$RASA_PORT/version" "Rasa server" "${pids[-1]}" "$LOGS/rasa.log" || exit 1

echo "Starting the desk on port $DESK_PORT..."
RASA_URL="http://127.0.0.1:$RASA_PORT" "$BIN/python" -m shopbot.desk >"$LOGS/desk.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$DESK_PORT/health" "desk" "${pids[-1]}" "$LOGS/desk.log" || exit 1

cat <<MSG

The assistant is running (internal ports on 127.0.0.1 only).
  Storefront demo (buyer widget):  http://127.0.0.1:$DESK_PORT/   (?account=tb_wang88 to be another buyer)
  Agent console:                   http://127.0.0.1:$DESK_PORT/console
    (create an agent first:  .venv/bin/shopbot user add <name>)
  Chat (REST, as buyer tb_lily; without the channel token the buyer is anonymous):
    curl -s localhost:$RASA_PORT/webhooks/rest/webhook -H "Authorization: Bearer $CHANNEL_TOKEN" \\
      -d '{"sender":"t1","message":"我的快递到哪了","metadata":{"account":"tb_lily"}}'
  Rasa's API:     http://127.0.0.1:$RASA_PORT/status?token=$RASA_TOKEN
  Action server:  http://127.0.0.1:$ACTIONS_PORT/health
  Tokens:         var/tokens.env (RASA_TOKEN, CHANNEL_TOKEN, ACTIONS_TOKEN)
  Logs:           $LOGS/
Press Ctrl-C to stop everything.
MSG
wait -n "${pids[@]}"
echo "error: a process stopped unexpectedly; see $LOGS/" >&2
exit 1
