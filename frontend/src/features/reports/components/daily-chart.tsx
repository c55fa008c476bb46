import { BarChart3 } from "lucide-react";

import { EmptyState } from "@/components/ui/empty-state";
import { cn } from "@/lib/utils";

import { dayLabel, niceMax, type DayTotals } from "../utils/report";

/** About this many date labels under the bars, whatever the period's length. */
const AXIS_LABELS = 8;

function percent(value: number, max: number): string {
  return `${max === 0 ? 0 : (value / max) * 100}%`;
}

function describe(day: DayTotals): string {
  const failed = day.failed > 0 ? `, ${day.failed} failed` : "";
  return `${dayLabel(day.date)}: ${day.inbound} in, ${day.outbound} out${failed}`;
}

/** Under which bars a date goes: every few days, half as many on a narrow screen. */
type AxisLabel = "always" | "wide" | null;

function DayBars({ day, max, label }: { day: DayTotals; max: number; label: AxisLabel }) {
  const sent = day.outbound - day.failed;
  return (
    <li data-testid="chart-day" data-date={day.date} title={describe(day)} className="relative flex min-w-0 flex-1 flex-col items-center">
      <span className="sr-only">{describe(day)}</span>
      <div className="flex h-44 w-full items-end justify-center gap-px border-b border-border px-px">
        <div
          data-testid="chart-inbound"
          className="w-full max-w-4 rounded-t-sm bg-[oklch(0.78_0.06_262)]"
          style={{ height: percent(day.inbound, max) }}
        />
        <div className="flex w-full max-w-4 flex-col overflow-hidden rounded-t-sm" style={{ height: percent(day.outbound, max) }}>
          <div data-testid="chart-failed" className="bg-destructive" style={{ flexGrow: day.failed }} />
          <div data-testid="chart-outbound" className="bg-primary" style={{ flexGrow: sent }} />
        </div>
      </div>
      <span
        aria-hidden
        className={cn("mt-1 h-4 text-center text-[10px] whitespace-nowrap text-muted-foreground", label === "wide" && "hidden sm:block")}
      >
        {label === null ? "" : dayLabel(day.date, { weekday: false })}
      </span>
    </li>
  );
}

function Legend() {
  const items = [
    { label: "In", className: "bg-[oklch(0.78_0.06_262)]" },
    { label: "Out", className: "bg-primary" },
    { label: "Failed", className: "bg-destructive" },
  ];
  return (
    <ul className="flex items-center gap-4 text-xs text-muted-foreground">
      {items.map((item) => (
        <li key={item.label} className="flex items-center gap-1.5">
          <span aria-hidden className={`size-2.5 rounded-sm ${item.className}`} />
          {item.label}
        </li>
      ))}
    </ul>
  );
}

/** Messages in and out per day (failed replies on top of the out bar), one pair per day. */
export function DailyChart({ series }: { series: DayTotals[] }) {
  const peak = Math.max(0, ...series.map((d) => Math.max(d.inbound, d.outbound)));
  if (peak === 0) {
    return (
      <EmptyState
        icon={BarChart3}
        title="No messages in this period"
        description="Messages customers send and the team's replies show up here, day by day."
        className="rounded-xl border bg-card py-10"
      />
    );
  }
  const max = niceMax(peak);
  const every = Math.max(1, Math.ceil(series.length / AXIS_LABELS));
  return (
    <figure data-testid="report-chart" className="grid min-w-0 gap-3 rounded-xl border bg-card p-4 shadow-xs">
      <figcaption className="flex flex-wrap items-center justify-between gap-2">
        <span className="text-sm font-medium">Messages per day</span>
        <Legend />
      </figcaption>
      <div className="flex gap-2">
        <div aria-hidden className="flex h-44 flex-col justify-between text-right text-[10px] text-muted-foreground tabular-nums">
          <span data-testid="chart-max">{max.toLocaleString()}</span>
          <span>{(max / 2).toLocaleString()}</span>
          <span>0</span>
        </div>
        <ol aria-label="Messages per day" className="relative flex min-w-0 flex-1 gap-px sm:gap-0.5">
          <span aria-hidden className="pointer-events-none absolute inset-x-0 top-0 border-t border-dashed border-border" />
          <span aria-hidden className="pointer-events-none absolute inset-x-0 top-22 border-t border-dashed border-border" />
          {series.map((day, i) => (
            <DayBars key={day.date} day={day} max={max} label={i % (2 * every) === 0 ? "always" : i % every === 0 ? "wide" : null} />
          ))}
        </ol>
      </div>
    </figure>
  );
}
