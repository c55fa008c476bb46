import { CheckCircle2, Plug } from "lucide-react";
import { useMemo, type ReactNode } from "react";
import { Link } from "react-router";

import { LoadError } from "@/components/load-error";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Spinner } from "@/components/ui/spinner";
import { useChannels } from "@/features/channels/api/get-channels";
import type { ReportOverview } from "@/lib/api/types";
import type { ReportFilters as Filters } from "@/lib/query-keys";

import { useReport } from "../api/get-report";
import { channelDayRows, dailySeries, daysIn, periodLabel, summarize } from "../utils/report";
import { DailyChart } from "./daily-chart";
import { ExpiringTokens } from "./expiring-tokens";
import { ReportFilters, type ReportView } from "./report-filters";
import { ChannelDayTable, ChannelTotalsTable, FailuresTable } from "./report-tables";
import { SummaryTiles, WebhookTiles } from "./stat-tiles";

function Section({ id, title, description, children }: { id: string; title: string; description?: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} data-testid={`section-${id}`} className="grid min-w-0 gap-3">
      <div className="grid gap-0.5">
        <h2 id={`${id}-heading`} className="text-lg font-semibold tracking-tight">
          {title}
        </h2>
        {description !== undefined && <p className="text-sm text-muted-foreground">{description}</p>}
      </div>
      {children}
    </section>
  );
}

function Loading() {
  return (
    <div data-testid="report-loading" aria-busy className="grid min-w-0 gap-3">
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
        {Array.from({ length: 5 }, (_, i) => (
          <div key={i} className="h-21 animate-pulse rounded-xl bg-muted" />
        ))}
      </div>
      <div className="h-64 animate-pulse rounded-xl bg-muted" />
    </div>
  );
}

/** The report once loaded: summary, chart, tables, webhooks and channel access. */
export function ReportContent({ report }: { report: ReportOverview }) {
  const series = useMemo(() => dailySeries(report), [report]);
  const summary = useMemo(() => summarize(report), [report]);
  const rows = useMemo(() => channelDayRows(report), [report]);
  const channelNames = useMemo(() => new Map(report.channels.map((c) => [c.channel_id, { name: c.name, kind: c.kind }])), [report]);
  return (
    <>
      <div className="grid min-w-0 gap-3">
        <p data-testid="report-period" className="text-sm text-muted-foreground">
          {periodLabel(report.from, report.to)} · days in {report.tz}
        </p>
        <SummaryTiles summary={summary} />
        <DailyChart series={series} />
      </div>
      {report.channels.length > 0 && (
        <Section id="channels" title="By channel" description="Delivered and read are shares of the replies sent.">
          <ChannelTotalsTable channels={report.channels} />
        </Section>
      )}
      <Section id="failures" title="Failures" description="Replies that could not be sent, by the reason Meta (or Parley) gave.">
        {report.failures.length === 0 ? (
          <p data-testid="report-no-failures" className="flex items-center gap-2 rounded-xl border bg-card px-4 py-3 text-sm text-muted-foreground shadow-xs">
            <CheckCircle2 className="size-4 text-success" aria-hidden />
            No failed replies in this period.
          </p>
        ) : (
          <FailuresTable failures={report.failures} channelNames={channelNames} />
        )}
      </Section>
      <Section id="webhooks" title="Webhooks" description="Deliveries from Meta for these channels received in the period.">
        <WebhookTiles events={report.webhook_events} periodDays={daysIn(report.from, report.to)} />
      </Section>
      <Section id="tokens" title="Channel access" description="Channels whose access to Meta expires within two weeks or is already lost.">
        <ExpiringTokens tokens={report.expiring_tokens} />
      </Section>
      {rows.length > 0 && (
        <Section id="days" title="By day">
          <ChannelDayTable rows={rows} />
        </Section>
      )}
    </>
  );
}

export interface ReportBodyProps {
  view: ReportView;
  onViewChange: (view: ReportView) => void;
  /** What to ask the API for (not asked while `rangeError` says why it cannot be). */
  filters: Filters;
  rangeError: string | null;
}

/** Filters, then the report (or why there is none). */
export function ReportBody({ view, onViewChange, filters, rangeError }: ReportBodyProps) {
  const channels = useChannels();
  const report = useReport(filters, { enabled: rangeError === null });
  const noChannels = channels.isSuccess && channels.data.items.length === 0;

  let content: ReactNode;
  if (noChannels) {
    content = (
      <EmptyState
        icon={Plug}
        title="No channels yet"
        description="Connect a Facebook Page or a WhatsApp number, and its traffic shows up here."
        className="rounded-xl border bg-card"
      >
        <Button asChild size="sm">
          <Link to="/channels">Connect a channel</Link>
        </Button>
      </EmptyState>
    );
  } else if (rangeError !== null) {
    content = null;
  } else if (report.isError) {
    content = <LoadError error={report.error} onRetry={() => void report.refetch()} testId="report-error" />;
  } else if (report.data === undefined) {
    content = <Loading />;
  } else {
    content = <ReportContent report={report.data} />;
  }

  return (
    <>
      <div className="flex min-w-0 flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <ReportFilters view={view} onChange={onViewChange} channels={channels.data?.items ?? []} rangeError={rangeError} />
        </div>
        {report.isFetching && report.data !== undefined && <Spinner className="mt-2 size-4" label="Updating" />}
      </div>
      {content}
    </>
  );
}
