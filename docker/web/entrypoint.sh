#!/bin/sh
# Starts Caddy (docker/web/Caddyfile) with values derived from the settings the api reads, so
# the proxy's site names and the SPA's Content-Security-Policy follow PUBLIC_BASE_URL and
# STORAGE_* and cannot disagree with the app. The storage origin is chosen exactly as
# frontend/security-headers.mjs `storageOriginsFromEnv` does (tests/test_docker.py runs both).
#
#   PUBLIC_BASE_URL              where browsers reach Parley (required)
#   STORAGE_PUBLIC_ENDPOINT_URL  where browsers reach the object store; when it is not the
#                                store's own address (STORAGE_ENDPOINT_URL, e.g. the bundled
#                                SeaweedFS), this proxy serves that host name and forwards to it
#   PROXY_TLS                    auto (default): Caddy gets certificates for https:// names;
#                                off: plain HTTP only, behind a proxy that terminates TLS
set -eu

fail() {
	echo "parley-web: $*" >&2
	exit 1
}

lower() {
	printf '%s' "$1" | tr 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' 'abcdefghijklmnopqrstuvwxyz'
}

# The origin of an http(s) URL: scheme://host[:port], lower case, no default port (as
# `new URL(url).origin`); nothing for anything else.
origin() {
	case "$1" in
	*://*) ;;
	*) return 0 ;;
	esac
	scheme=$(lower "${1%%://*}")
	authority=${1#*://}
	authority=${authority%%/*}
	authority=${authority%%\?*}
	authority=${authority%%#*}
	authority=$(lower "${authority##*@}")
	case "$scheme:$authority" in
	http:*:80) authority=${authority%:80} ;;
	https:*:443) authority=${authority%:443} ;;
	http:* | https:*) ;;
	*) return 0 ;;
	esac
	[ -n "$authority" ] && printf '%s://%s' "$scheme" "$authority"
}

# A Caddy site address for an origin: its scheme and host. Caddy listens on its own ports
# (8080 and 8443, published by compose) whatever port the public URL names.
site_address() {
	host=${1#*://}
	host=${host%:*}
	case "${PROXY_TLS:-auto}" in
	off) printf 'http://%s' "$host" ;;
	*) printf '%s://%s' "${1%%://*}" "$host" ;;
	esac
}

case "${PROXY_TLS:-auto}" in
auto | off) ;;
*) fail "PROXY_TLS must be auto or off, not '${PROXY_TLS}'" ;;
esac

public_origin=$(origin "${PUBLIC_BASE_URL:-}")
[ -n "$public_origin" ] || fail "set PUBLIC_BASE_URL to an http(s) URL (see docker/.env.example)"
PARLEY_SITE_ADDRESS=$(site_address "$public_origin")
PARLEY_WS_ORIGIN="ws${public_origin#http}"

storage_url=${STORAGE_PUBLIC_ENDPOINT_URL:-${STORAGE_ENDPOINT_URL:-}}
if [ -z "$storage_url" ] && [ -n "${R2_ACCOUNT_ID:-}" ]; then
	storage_url="https://${R2_ACCOUNT_ID}.r2.cloudflarestorage.com"
fi
PARLEY_STORAGE_ORIGIN=$(origin "$storage_url")
[ -n "$PARLEY_STORAGE_ORIGIN" ] ||
	fail "set STORAGE_PUBLIC_ENDPOINT_URL to the http(s) URL browsers use for attachments"

store_origin=$(origin "${STORAGE_ENDPOINT_URL:-}")
if [ -n "${STORAGE_PUBLIC_ENDPOINT_URL:-}" ] && [ -n "$store_origin" ] &&
	[ "$store_origin" != "$PARLEY_STORAGE_ORIGIN" ]; then
	PARLEY_STORAGE_PROXY=on
	STORAGE_SITE_ADDRESS=$(site_address "$PARLEY_STORAGE_ORIGIN")
	PARLEY_STORAGE_UPSTREAM=$store_origin
	storage_note="$STORAGE_SITE_ADDRESS -> $PARLEY_STORAGE_UPSTREAM"
else
	PARLEY_STORAGE_PROXY=off
	STORAGE_SITE_ADDRESS=
	PARLEY_STORAGE_UPSTREAM=
	storage_note="$PARLEY_STORAGE_ORIGIN (reached directly by browsers)"
fi

export PARLEY_SITE_ADDRESS PARLEY_WS_ORIGIN PARLEY_STORAGE_ORIGIN PARLEY_STORAGE_PROXY \
	STORAGE_SITE_ADDRESS PARLEY_STORAGE_UPSTREAM
echo "parley-web: serving $PARLEY_SITE_ADDRESS (TLS: ${PROXY_TLS:-auto}); storage: $storage_note" >&2
exec "$@"
