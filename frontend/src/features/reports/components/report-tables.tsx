import { useState, type ReactNode } from "react";

import { ChannelIcon } from "@/components/channel-icon";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import type { ChannelKind, ReportChannelTotals, ReportFailure } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { dayLabel, formatRate, momentLabel, type ChannelDayRow } from "../utils/report";

/** Rows of the per channel and day table shown before "Show all". */
const FIRST_ROWS = 31;

const TH = "px-3 py-2 font-medium";
const NUM = "px-3 py-2.5 text-right tabular-nums";

function Table({ testId, minWidth, head, children }: { testId: string; minWidth: string; head: ReactNode; children: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-xl border bg-card shadow-xs">
      <table data-testid={testId} className={cn("w-full text-sm", minWidth)}>
        <thead>
          <tr className="border-b bg-muted/50 text-left text-xs text-muted-foreground">{head}</tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function Num({ value }: { value: number }) {
  return <span className={value === 0 ? "text-muted-foreground" : undefined}>{value.toLocaleString()}</span>;
}

function Failed({ value }: { value: number }) {
  return <span className={value === 0 ? "text-muted-foreground" : "font-semibold text-destructive"}>{value.toLocaleString()}</span>;
}

function ChannelName({ name, kind }: { name: string; kind: ChannelKind | null }) {
  return (
    <span className="flex min-w-0 items-center gap-2 font-medium">
      {kind !== null && <ChannelIcon kind={kind} />}
      <span className="truncate">{name}</span>
    </span>
  );
}

const COUNT_HEADS = (
  <>
    <th scope="col" className={cn(TH, "text-right")}>
      In
    </th>
    <th scope="col" className={cn(TH, "text-right")}>
      Out
    </th>
    <th scope="col" className={cn(TH, "text-right")} title="Replies Meta delivered / replies sent">
      Delivered
    </th>
    <th scope="col" className={cn(TH, "text-right")} title="Replies the customer read / replies sent">
      Read
    </th>
    <th scope="col" className={cn(TH, "text-right pr-4")}>
      Failed
    </th>
  </>
);

function RateCell({ count, rate }: { count: number; rate: number | null }) {
  return (
    <td className={NUM}>
      <span>{formatRate(rate)}</span>
      {rate !== null && <span className="ml-1.5 text-xs text-muted-foreground">{count.toLocaleString()}</span>}
    </td>
  );
}

/** Each channel's totals over the period, with its delivery and read rates. */
export function ChannelTotalsTable({ channels }: { channels: ReportChannelTotals[] }) {
  return (
    <Table
      testId="report-channels"
      minWidth="min-w-[40rem]"
      head={
        <>
          <th scope="col" className={cn(TH, "pl-4")}>
            Channel
          </th>
          {COUNT_HEADS}
        </>
      }
    >
      {channels.map((channel) => (
        <tr key={channel.channel_id} data-testid="report-channel-row" data-channel-id={channel.channel_id} className="border-b last:border-b-0">
          <td className="py-2.5 pr-3 pl-4">
            <span className="flex items-center gap-2">
              <ChannelName name={channel.name} kind={channel.kind} />
              {channel.status !== "active" && (
                <Badge variant={channel.status === "needs_reauth" ? "destructive" : "secondary"}>
                  {channel.status === "needs_reauth" ? "Needs reconnecting" : "Disconnected"}
                </Badge>
              )}
            </span>
          </td>
          <td className={NUM}>
            <Num value={channel.inbound} />
          </td>
          <td className={NUM}>
            <Num value={channel.outbound} />
          </td>
          <RateCell count={channel.delivered} rate={channel.delivery_rate} />
          <RateCell count={channel.read} rate={channel.read_rate} />
          <td className={cn(NUM, "pr-4")}>
            <Failed value={channel.failed} />
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** Per channel and day, newest first; long periods show a month's rows until asked. */
export function ChannelDayTable({ rows }: { rows: ChannelDayRow[] }) {
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? rows : rows.slice(0, FIRST_ROWS);
  return (
    <div className="grid gap-2">
      <Table
        testId="report-days"
        minWidth="min-w-[44rem]"
        head={
          <>
            <th scope="col" className={cn(TH, "pl-4")}>
              Day
            </th>
            <th scope="col" className={TH}>
              Channel
            </th>
            {COUNT_HEADS}
          </>
        }
      >
        {shown.map((row) => (
          <tr key={`${row.date}/${row.channelId}`} data-testid="report-day-row" data-date={row.date} className="border-b last:border-b-0">
            <td className="py-2.5 pr-3 pl-4 whitespace-nowrap text-muted-foreground">{dayLabel(row.date)}</td>
            <td className="max-w-56 px-3 py-2.5">
              <ChannelName name={row.channelName} kind={row.kind} />
            </td>
            <td className={NUM}>
              <Num value={row.inbound} />
            </td>
            <td className={NUM}>
              <Num value={row.outbound} />
            </td>
            <RateCell count={row.delivered} rate={row.deliveryRate} />
            <RateCell count={row.read} rate={row.readRate} />
            <td className={cn(NUM, "pr-4")}>
              <Failed value={row.failed} />
            </td>
          </tr>
        ))}
      </Table>
      {rows.length > shown.length && (
        <Button variant="outline" size="sm" className="justify-self-center" data-testid="report-days-more" onClick={() => setShowAll(true)}>
          Show all {rows.length} rows
        </Button>
      )}
    </div>
  );
}

/** Failed replies by channel and error code, most frequent first, with the latest reason. */
export function FailuresTable({ failures, channelNames }: { failures: ReportFailure[]; channelNames: ReadonlyMap<string, { name: string; kind: ChannelKind }> }) {
  return (
    <Table
      testId="report-failures"
      minWidth="min-w-[40rem]"
      head={
        <>
          <th scope="col" className={cn(TH, "pl-4")}>
            Reason
          </th>
          <th scope="col" className={TH}>
            Channel
          </th>
          <th scope="col" className={cn(TH, "text-right")}>
            Replies
          </th>
          <th scope="col" className={cn(TH, "pr-4")}>
            Last
          </th>
        </>
      }
    >
      {failures.map((failure) => {
        const channel = channelNames.get(failure.channel_id);
        return (
          <tr key={`${failure.channel_id}/${failure.code ?? ""}`} data-testid="report-failure-row" data-code={failure.code ?? ""} className="border-b align-top last:border-b-0">
            <td className="py-2.5 pr-3 pl-4">
              <span className="flex items-start gap-2">
                <Badge variant="outline" className="mt-px font-mono">
                  {failure.code ?? "no code"}
                </Badge>
                <span className="min-w-0 flex-1 break-words">{failure.reason ?? "No reason given"}</span>
              </span>
            </td>
            <td className="max-w-48 px-3 py-2.5">
              <ChannelName name={channel?.name ?? "Removed channel"} kind={channel?.kind ?? null} />
            </td>
            <td className={NUM}>
              <Failed value={failure.count} />
            </td>
            <td className="py-2.5 pr-4 pl-3 whitespace-nowrap text-muted-foreground">{momentLabel(failure.last_at)}</td>
          </tr>
        );
      })}
    </Table>
  );
}
