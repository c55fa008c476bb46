"""Tests for the metasim package (no database, no Redis, no network)."""
