"""Outbound files: presigned uploads straight from the browser to object storage, and the
checks that let a send use one (api.uploads.attach)."""
