"""The REST surface: a Quart-Trio app served by Hypercorn."""
