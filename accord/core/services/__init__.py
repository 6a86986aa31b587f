"""Use cases: what the REST API and gateway ask of the domain."""
