import { Check, Copy } from "lucide-react";
import { useState } from "react";

import { Button } from "@/components/ui/button";

/** Copies text and says so for a moment. */
export function CopyButton({ text, label, testId }: { text: string; label?: string; testId?: string }) {
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

export interface CopyFieldProps {
  /** The secret or link, shown whole and selectable. */
  value: string;
  testId?: string;
  /** The Copy button's accessible name ("Copy the API key"); "Copy" when unset. */
  copyLabel?: string;
  copyTestId?: string;
}

/** A value to take away now (a secret shown once, an invitation link), with its Copy button. */
export function CopyField({ value, testId, copyLabel, copyTestId }: CopyFieldProps) {
  return (
    <div className="flex items-center gap-2">
      <code data-testid={testId} className="min-w-0 flex-1 rounded-md border bg-muted/40 px-3 py-2 font-mono text-xs break-all select-all">
        {value}
      </code>
      <CopyButton text={value} label={copyLabel} testId={copyTestId} />
    </div>
  );
}
