"""Socket.IO gateway: authenticates sockets and fans out tenant-scoped events from Redis."""
