"""Hardening that applies across domains: rate limits (`ratelimit`), response headers
(`headers`), request body limits (`body_limit`) and row-level security (`rls`)."""
