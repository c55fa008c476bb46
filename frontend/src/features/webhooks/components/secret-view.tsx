import { AlertTriangle, Check, Copy } from "lucide-react";
import { useState } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** Copies text and says so for a moment. */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Button type="button" variant="outline" size="sm" onClick={() => void copy()} data-testid={testId} aria-label={label}>
      {copied ? <Check aria-hidden /> : <Copy aria-hidden />}
      {copied ? "Copied" : "Copy"}
    </Button>
  );
}

export type SecretReason = "created" | "revealed" | "rotated";

const NOTES: Record<SecretReason, string> = {
  created: "Copy the signing secret into your receiver now. Admins can reveal it again from this page (each reveal is audited).",
  revealed: "Keep it in your receiver's secrets. Anyone with it can forge deliveries: rotate it if it leaks.",
  rotated: "The old secret stopped working: deliveries from now on are signed with this one. Update your receiver.",
};

/** An endpoint's signing secret with Copy, and what to do with it. */
export function SecretView({ secret, reason, onDone }: { secret: string; reason: SecretReason; onDone: () => void }) {
  return (
    <div className="grid gap-4">
      <Alert variant={reason === "revealed" ? "default" : "warning"}>
        <AlertTriangle aria-hidden />
        <AlertDescription>{NOTES[reason]}</AlertDescription>
      </Alert>
      <div className="flex items-center gap-2">
        <code
          data-testid="webhook-secret"
          className="min-w-0 flex-1 rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs break-all select-all"
        >
          {secret}
        </code>
        <CopyButton text={secret} label="Copy the signing secret" testId="webhook-secret-copy" />
      </div>
      <div className="flex justify-end">
        <Button onClick={onDone} data-testid="webhook-secret-done">
          Done
        </Button>
      </div>
    </div>
  );
}
