"""Thin command-line layer: each command parses a typed config and calls one library function."""
