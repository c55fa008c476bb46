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

function Th({ className, title, children }: { className?: string; title?: string; children: ReactNode }) {
  return (
    <th scope="col" className={cn(TH, className)} title={title}>
      {children}
    </th>
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
    <Th className="text-right">In</Th>
    <Th className="text-right">Out</Th>
    <Th className="text-right" title="Replies Meta delivered / replies sent">Delivered</Th>
    <Th className="text-right" title="Replies the customer read / replies sent">Read</Th>
    <Th className="text-right pr-4">Failed</Th>
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

type CountValues = Pick<ChannelDayRow, "inbound" | "outbound" | "delivered" | "deliveryRate" | "read" | "readRate" | "failed">;

/** The cells under COUNT_HEADS. */
function CountCells({ counts }: { counts: CountValues }) {
  return (
    <>
      <td className={NUM}>
        <Num value={counts.inbound} />
      </td>
      <td className={NUM}>
        <Num value={counts.outbound} />
      </td>
      <RateCell count={counts.delivered} rate={counts.deliveryRate} />
      <RateCell count={counts.read} rate={counts.readRate} />
      <td className={cn(NUM, "pr-4")}>
        <Failed value={counts.failed} />
      </td>
    </>
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
          <Th className="pl-4">Channel</Th>
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
          <CountCells counts={{ ...channel, deliveryRate: channel.delivery_rate, readRate: channel.read_rate }} />
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
            <Th className="pl-4">Day</Th>
            <Th>Channel</Th>
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
            <CountCells counts={row} />
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
          <Th className="pl-4">Reason</Th>
          <Th>Channel</Th>
          <Th className="text-right">Replies</Th>
          <Th className="pr-4">Last</Th>
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
