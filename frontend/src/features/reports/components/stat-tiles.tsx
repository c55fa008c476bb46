import { ArrowRight } from "lucide-react";
import type { ReactNode } from "react";
import { Link } from "react-router";

import { useCan } from "@/features/auth/hooks/use-can";
import type { ReportWebhookEvents } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { formatRate, type Summary } from "../utils/report";

type Tone = "plain" | "good" | "warn" | "bad";

const TONE: Record<Tone, string> = {
  plain: "text-foreground",
  good: "text-[oklch(0.45_0.12_150)]",
  warn: "text-[oklch(0.5_0.12_65)]",
  bad: "text-destructive",
};

function Tile({ label, value, hint, tone = "plain", testId }: { label: string; value: string; hint?: ReactNode; tone?: Tone; testId: string }) {
  return (
    <div data-testid={testId} data-tone={tone} className="grid content-start gap-1 rounded-xl border bg-card px-4 py-3 shadow-xs">
      <p className="text-xs font-medium text-muted-foreground">{label}</p>
      <p data-testid={`${testId}-value`} className={cn("text-2xl font-semibold tracking-tight tabular-nums", TONE[tone])}>
        {value}
      </p>
      {hint !== undefined && <p className="text-xs text-muted-foreground">{hint}</p>}
    </div>
  );
}

const count = (value: number) => value.toLocaleString();

/** In, out, delivery rate, read rate and failures over the period. */
export function SummaryTiles({ summary }: { summary: Summary }) {
  const failureTone: Tone = summary.failed === 0 ? "plain" : "bad";
  return (
    <div data-testid="report-summary" className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
      <Tile testId="summary-inbound" label="Messages in" value={count(summary.inbound)} hint="from customers" />
      <Tile testId="summary-outbound" label="Messages out" value={count(summary.outbound)} hint="replies and templates" />
      <Tile
        testId="summary-delivery-rate"
        label="Delivery rate"
        value={formatRate(summary.deliveryRate)}
        hint={`${count(summary.delivered)} delivered`}
        tone={summary.deliveryRate === null ? "plain" : summary.deliveryRate >= 0.9 ? "good" : "warn"}
      />
      <Tile testId="summary-read-rate" label="Read rate" value={formatRate(summary.readRate)} hint={`${count(summary.read)} read`} />
      <Tile
        testId="summary-failed"
        label="Failed"
        value={count(summary.failed)}
        hint={summary.outbound === 0 ? "no replies" : `${formatRate(summary.failed / summary.outbound)} of replies`}
        tone={failureTone}
      />
    </div>
  );
}

/** Meta's deliveries for these channels over the period, by state. */
export function WebhookTiles({ events, periodDays }: { events: ReportWebhookEvents; periodDays: number }) {
  const canOperate = useCan("operations:manage") === true;
  const pruned = periodDays > events.retention_days;
  return (
    <div className="grid gap-3">
      <div data-testid="report-webhooks" className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Tile
          testId="webhooks-processed"
          label="Processed"
          value={count(events.processed)}
          hint="turned into messages and statuses"
          tone={events.processed > 0 ? "good" : "plain"}
        />
        <Tile testId="webhooks-pending" label="Pending" value={count(events.pending)} hint="waiting for a worker" tone={events.pending > 0 ? "warn" : "plain"} />
        <Tile testId="webhooks-failed" label="Failed" value={count(events.failed)} hint="being retried" tone={events.failed > 0 ? "warn" : "plain"} />
        <Tile testId="webhooks-dead" label="Dead" value={count(events.dead)} hint="gave up, can be replayed" tone={events.dead > 0 ? "bad" : "plain"} />
      </div>
      <p className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-muted-foreground">
        {pruned && (
          <span data-testid="webhooks-retention">
            Processed deliveries are kept {events.retention_days} days, so older days count fewer.
          </span>
        )}
        {canOperate && (
          <Link to="/operations" className="inline-flex items-center gap-1 font-medium text-primary hover:underline">
            Event log and replays <ArrowRight className="size-3" aria-hidden />
          </Link>
        )}
      </p>
    </div>
  );
}
