"""Ports: the Protocols that adapters implement and services depend on."""
