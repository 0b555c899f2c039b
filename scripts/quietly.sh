#!/usr/bin/env bash
# Run a talkative tool (Rasa's training, validation, story tests) with its whole output
# in a log file, and show the person at the terminal what matters: one line saying what
# runs, the lines of the log that match SUMMARY, and, if it fails, the end of the log.
#   scripts/quietly.sh LOG "what it does" SUMMARY -- command [args...]
set -uo pipefail
log=$1 what=$2 summary=$3
shift 3
[ "${1:-}" = "--" ] && shift
mkdir -p "$(dirname "$log")"
echo "$what (log: $log)..."
"$@" >"$log" 2>&1
status=$?
if [ -n "$summary" ]; then
  grep -E "$summary" "$log" | sed -E 's/\x1b\[[0-9;]*m//g; s/^.* - +//; s/^[[:space:]]*/  /'
fi
if [ $status -ne 0 ]; then
  echo "error: $what failed (exit status $status). The end of $log:" >&2
  tail -n 30 "$log" >&2
fi
exit $status
