import { AlertTriangle } from "lucide-react";

import { CopyField } from "@/components/copy-field";
import { Alert, AlertDescription } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

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
      <CopyField value={secret} testId="webhook-secret" copyLabel="Copy the signing secret" copyTestId="webhook-secret-copy" />
      <div className="flex justify-end">
        <Button onClick={onDone} data-testid="webhook-secret-done">
          Done
        </Button>
      </div>
    </div>
  );
}
