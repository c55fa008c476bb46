import { useId } from "react";

import type { Channel } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { RANGE_PRESETS, type RangePreset } from "../utils/report";

const SELECT =
  "h-8 max-w-56 rounded-md border border-input bg-background px-2 text-sm text-foreground shadow-xs focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none";
const DATE_INPUT = cn(SELECT, "w-38 aria-invalid:border-destructive");

/** What the filters show: a quick range or a custom one, and one channel or all. */
export interface ReportView {
  range: RangePreset | "custom";
  /** The custom range's days (YYYY-MM-DD); ignored for a quick range. */
  from: string;
  to: string;
  channelId: string | null;
}

function RangeTabs({ value, onChange }: { value: ReportView["range"]; onChange: (range: ReportView["range"]) => void }) {
  const tabs: { label: string; range: ReportView["range"] }[] = [
    ...RANGE_PRESETS.map((days) => ({ label: `${days} days`, range: days })),
    { label: "Custom", range: "custom" },
  ];
  return (
    <div role="tablist" aria-label="Period" data-testid="report-range" className="inline-flex max-w-full items-center gap-0.5 overflow-x-auto rounded-lg bg-muted p-0.5">
      {tabs.map((tab) => {
        const selected = tab.range === value;
        return (
          <button
            key={tab.label}
            type="button"
            role="tab"
            aria-selected={selected}
            onClick={() => onChange(tab.range)}
            className={cn(
              "rounded-md px-2.5 py-1 text-sm font-medium whitespace-nowrap transition-colors sm:px-3 focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
              selected ? "bg-background text-foreground shadow-xs" : "text-muted-foreground hover:text-foreground",
            )}
          >
            {tab.label}
          </button>
        );
      })}
    </div>
  );
}

export interface ReportFiltersProps {
  view: ReportView;
  onChange: (view: ReportView) => void;
  channels: readonly Channel[];
  /** Why the custom range cannot be reported on, shown under the dates. */
  rangeError: string | null;
}

/** The period (7, 14, 30 days or two dates) and the channel the report covers. */
export function ReportFilters({ view, onChange, channels, rangeError }: ReportFiltersProps) {
  const ids = { from: useId(), to: useId(), channel: useId(), error: useId() };
  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Report filters">
        <RangeTabs value={view.range} onChange={(range) => onChange({ ...view, range })} />
        {view.range === "custom" && (
          <div className="flex items-end gap-2">
            <div className="grid gap-1">
              <label htmlFor={ids.from} className="text-xs font-medium text-muted-foreground">
                From
              </label>
              <input
                id={ids.from}
                type="date"
                data-testid="report-from"
                value={view.from}
                max={view.to || undefined}
                aria-invalid={rangeError !== null}
                aria-describedby={rangeError === null ? undefined : ids.error}
                onChange={(e) => onChange({ ...view, from: e.target.value })}
                className={DATE_INPUT}
              />
            </div>
            <div className="grid gap-1">
              <label htmlFor={ids.to} className="text-xs font-medium text-muted-foreground">
                To
              </label>
              <input
                id={ids.to}
                type="date"
                data-testid="report-to"
                value={view.to}
                min={view.from || undefined}
                aria-invalid={rangeError !== null}
                aria-describedby={rangeError === null ? undefined : ids.error}
                onChange={(e) => onChange({ ...view, to: e.target.value })}
                className={DATE_INPUT}
              />
            </div>
          </div>
        )}
        <div className="grid gap-1 sm:ml-auto">
          <label htmlFor={ids.channel} className="text-xs font-medium text-muted-foreground">
            Channel
          </label>
          <select
            id={ids.channel}
            data-testid="report-channel"
            value={view.channelId ?? ""}
            onChange={(e) => onChange({ ...view, channelId: e.target.value === "" ? null : e.target.value })}
            className={SELECT}
          >
            <option value="">All channels</option>
            {channels.map((channel) => (
              <option key={channel.id} value={channel.id}>
                {channel.name}
                {channel.status === "disconnected" ? " (disconnected)" : ""}
              </option>
            ))}
          </select>
        </div>
      </div>
      {rangeError !== null && (
        <p id={ids.error} role="alert" data-testid="report-range-error" className="text-sm text-destructive">
          {rangeError}
        </p>
      )}
    </div>
  );
}
