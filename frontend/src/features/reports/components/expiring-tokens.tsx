import { AlertTriangle, ArrowRight, Clock } from "lucide-react";
import { Link } from "react-router";

import { ChannelIcon } from "@/components/channel-icon";
import { useNow } from "@/hooks/use-now";
import type { ReportExpiringToken } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { tokenProblem } from "../utils/report";

/** Channels whose token expires within 14 days or that must be connected again. */
export function ExpiringTokens({ tokens }: { tokens: ReportExpiringToken[] }) {
  const now = useNow(60_000);
  if (tokens.length === 0) {
    return (
      <p data-testid="report-tokens-ok" className="rounded-xl border bg-card px-4 py-3 text-sm text-muted-foreground shadow-xs">
        Every channel's access is good for at least two more weeks.
      </p>
    );
  }
  return (
    <ul data-testid="report-tokens" className="divide-y rounded-xl border bg-card shadow-xs">
      {tokens.map((token) => {
        const problem = tokenProblem(token, now);
        const Icon = problem.severe ? AlertTriangle : Clock;
        return (
          <li key={token.channel_id} data-testid="report-token" data-channel-id={token.channel_id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-3 text-sm">
            <ChannelIcon kind={token.kind} />
            <span className="font-medium">{token.name}</span>
            <span className={cn("flex items-center gap-1.5", problem.severe ? "text-destructive" : "text-[oklch(0.5_0.12_65)]")}>
              <Icon className="size-4 shrink-0" aria-hidden />
              {problem.text}
            </span>
            <Link to="/channels" className="ml-auto inline-flex items-center gap-1 text-sm font-medium text-primary hover:underline">
              Channel settings <ArrowRight className="size-3.5" aria-hidden />
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
