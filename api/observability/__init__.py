"""Observability: structured logs (`logs`), Prometheus metrics (`metrics`) and
OpenTelemetry tracing (`tracing`), shared by the api, worker and realtime processes."""
