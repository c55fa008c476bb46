import { AlertCircle, CheckCircle2, X } from "lucide-react";
import { useLocation, useNavigate, useSearchParams } from "react-router";

import { Alert, AlertDescription } from "@/components/ui/alert";

import { useChannelMap } from "../api/get-channels";

/** Router state the connect pages leave for /channels after a success. */
export interface ConnectedNotice {
  notice: string;
}

function noticeFromState(state: unknown): string | null {
  if (state !== null && typeof state === "object" && "notice" in state && typeof state.notice === "string") {
    return state.notice;
  }
  return null;
}

const ERROR_FALLBACK = "Connecting to Facebook did not finish. Please try again.";

function Dismiss({ onClick }: { onClick: () => void }) {
  return (
    <button
      type="button"
      onClick={onClick}
      aria-label="Dismiss"
      className="absolute top-2.5 right-2.5 rounded-md p-1 opacity-70 hover:bg-black/5 hover:opacity-100"
    >
      <X className="size-4" aria-hidden />
    </button>
  );
}

/**
 * What the way back from Facebook reports: `?reconnected=<id>`, `?error=<code>&detail=<text>`,
 * or a connect page's success (router state).
 */
export function ConnectNotices() {
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const channels = useChannelMap();

  const reconnectedId = params.get("reconnected");
  const errorCode = params.get("error");
  const errorDetail = params.get("detail");
  const stateNotice = noticeFromState(location.state);

  const dismiss = () => void navigate({ pathname: location.pathname }, { replace: true, state: null });

  let success: string | null = stateNotice;
  if (reconnectedId !== null) {
    const name = channels.get(reconnectedId)?.name;
    success = name === undefined ? "The channel is reconnected." : `${name} is reconnected.`;
  }

  return (
    <>
      {errorCode !== null && (
        <Alert variant="destructive" data-testid="connect-error" data-error-code={errorCode} className="pr-10">
          <AlertCircle aria-hidden />
          <AlertDescription>{errorDetail?.trim() || ERROR_FALLBACK}</AlertDescription>
          <Dismiss onClick={dismiss} />
        </Alert>
      )}
      {success !== null && (
        <Alert variant="success" data-testid="connect-success" className="pr-10">
          <CheckCircle2 aria-hidden />
          <AlertDescription>{success}</AlertDescription>
          <Dismiss onClick={dismiss} />
        </Alert>
      )}
    </>
  );
}
