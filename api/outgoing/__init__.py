"""Outgoing webhooks: integrators' endpoints, signed deliveries with retries, the log."""
