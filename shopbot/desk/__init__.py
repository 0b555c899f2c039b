"""The desk: the buyers' chat widget gateway, the handoff queue, the agents' console."""
