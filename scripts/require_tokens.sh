# Sourced by run.sh and run_cluster.sh: the internal tokens must be set (make exports
# var/tokens.env, made by scripts/make_tokens.sh). Usage: require_tokens "make run"
require_tokens() {
  local name
  for name in RASA_TOKEN CHANNEL_TOKEN ACTIONS_TOKEN; do
    if [ -z "${!name:-}" ]; then
      echo "error: $name is not set. Start with $1 (it makes var/tokens.env)," >&2
      echo "       or export RASA_TOKEN, CHANNEL_TOKEN and ACTIONS_TOKEN yourself." >&2
      exit 1
    fi
  done
}
