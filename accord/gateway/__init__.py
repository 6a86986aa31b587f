"""Discord-compatible WebSocket gateway: protocol codec, sessions, replay and fan-out."""
