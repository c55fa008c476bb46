import { Alert, AlertDescription } from "@/components/ui/alert";
import { errorMessage } from "@/lib/api/errors";

/** A list or table that failed to load: the reason, and "Try again". */
export function LoadError({ error, onRetry, testId }: { error: unknown; onRetry: () => void; testId?: string }) {
  return (
    <Alert variant="destructive" data-testid={testId}>
      <AlertDescription>
        {errorMessage(error)}{" "}
        <button type="button" className="font-medium underline" onClick={onRetry}>
          Try again
        </button>
      </AlertDescription>
    </Alert>
  );
}
