# Parley's front door: the SPA, built here, served by Caddy, which is also the one reverse
# proxy that routes /api to the api and /socket.io to the realtime gateway, exactly as the
# development server (frontend/vite.config.ts) does, and the bundled object store's public
# host to SeaweedFS. See docker/web/Caddyfile. Built from the repository root:
#   docker build -f docker/web.Dockerfile -t parley-web .

FROM node:22-bookworm-slim AS spa
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

FROM caddy:2.11.7-alpine AS web
# Caddy keeps its certificates and state under /data and /config (volumes in compose).
RUN addgroup -S -g 10001 parley \
    && adduser -S -D -H -u 10001 -G parley parley \
    && chown -R parley:parley /data /config
COPY docker/web/Caddyfile docker/web/storage-on.caddy docker/web/storage-off.caddy /etc/caddy/
COPY --chmod=0755 docker/web/entrypoint.sh /usr/local/bin/parley-web
COPY --from=spa /frontend/dist /srv
USER 10001:10001
# Unprivileged ports (compose publishes them as 80 and 443); 8443/udp is HTTP/3.
EXPOSE 8080 8443 8443/udp
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8079/healthz"]
ENTRYPOINT ["/usr/local/bin/parley-web"]
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
