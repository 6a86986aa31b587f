"""Redis adapters: what several Accord processes share (events, presence, rate limits)."""
