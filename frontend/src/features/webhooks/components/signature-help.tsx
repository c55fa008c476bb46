import { CopyButton } from "@/components/copy-field";

const SNIPPET = `import hashlib, hmac, time

def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """header: the Parley-Signature value; body: the raw request body, unparsed."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False  # older than 5 minutes: a replayed delivery
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))`;

/** How a receiver checks that a delivery is Parley's and fresh. */
export function SignatureHelp() {
  return (
    <section aria-labelledby="webhooks-verify" className="grid gap-2" data-testid="webhook-signature-help">
      <h2 id="webhooks-verify" className="text-sm font-semibold">
        Verifying signatures
      </h2>
      <p className="text-sm text-muted-foreground">
        Each delivery is a <span className="font-mono">POST</span> of JSON with{" "}
        <span className="font-mono">Parley-Signature: t=&lt;unix time&gt;,v1=&lt;hex&gt;</span>: the HMAC-SHA256 of{" "}
        <span className="font-mono">&quot;&lt;t&gt;.&lt;raw body&gt;&quot;</span> with the endpoint&apos;s secret. Recompute it over the raw body,
        compare in constant time, and reject a <span className="font-mono">t</span> more than 5 minutes from your clock. Answer any 2xx
        within 10 seconds; anything else is retried (30 s, 2 min, 10 min, 1 h, 6 h, 12 h, 24 h). The body&apos;s{" "}
        <span className="font-mono">id</span> stays the same across retries and re-sends, so use it to ignore duplicates.
      </p>
      <div className="flex items-start gap-2">
        <pre className="min-w-0 flex-1 overflow-x-auto rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs" data-testid="webhook-signature-snippet">
          {SNIPPET}
        </pre>
        <CopyButton text={SNIPPET} label="Copy the Python example" />
      </div>
    </section>
  );
}
