"""arq worker: webhook processing, outbound sends, profile fetches, sweepers."""
