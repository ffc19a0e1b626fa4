"""RESP wire protocol: request parsing, reply encoding, and a small async client."""
