import { CheckCircle2 } from "lucide-react";
import { useEffect, useState } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";

import { forgetGoodbye, pendingGoodbye } from "../utils/goodbye";

/** Shown on the sign-in page right after the owner deleted the workspace (once). */
export function GoodbyeNotice() {
  const [shown] = useState(pendingGoodbye);
  useEffect(forgetGoodbye, []);
  if (!shown) return null;
  return (
    <Alert variant="success" className="mb-4" data-testid="goodbye-notice">
      <CheckCircle2 aria-hidden />
      <AlertDescription>
        Your workspace has been deleted. Everyone was signed out, Parley&apos;s access to your Facebook Pages and WhatsApp numbers is being
        revoked, and all of its data is being erased. Goodbye, and thank you for using Parley.
      </AlertDescription>
    </Alert>
  );
}
