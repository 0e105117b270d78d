"""Byte-level helpers shared by the compiled and vectorised paths of every family."""
