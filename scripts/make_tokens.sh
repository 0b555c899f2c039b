#!/usr/bin/env bash
# Make the internal tokens of this checkout, once: var/tokens.env (readable by its owner only),
# in Make's syntax, so the Makefile includes it and the environment still wins.
#   RASA_TOKEN     Rasa's HTTP API (rasa run --auth-token): model, trackers, pause and resume
#   CHANNEL_TOKEN  the REST channel believes metadata.account only from a caller with it (the desk)
#   ACTIONS_TOKEN  Rasa sends it to the action server, which refuses calls without it
set -euo pipefail
out=${1:-var/tokens.env}
mkdir -p "$(dirname "$out")"
umask 077
{
  echo "# Made by scripts/make_tokens.sh for this checkout; delete it to make new ones."
  for name in RASA_TOKEN CHANNEL_TOKEN ACTIONS_TOKEN; do
    echo "$name ?= $(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  done
} >"$out.tmp"
mv "$out.tmp" "$out"
