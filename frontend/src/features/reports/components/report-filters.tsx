import { useId } from "react";

import { DateRangeFields, FILTER_CONTROL, FilterField } from "@/components/filter-field";
import { SegmentedTabs, type SegmentedTab } from "@/components/ui/segmented-tabs";
import type { Channel } from "@/lib/api/types";

import { RANGE_PRESETS, type RangePreset } from "../utils/report";

/** What the filters show: a quick range or a custom one, and one channel or all. */
export interface ReportView {
  range: RangePreset | "custom";
  /** The custom range's days (YYYY-MM-DD); ignored for a quick range. */
  from: string;
  to: string;
  channelId: string | null;
}

const RANGE_TABS: SegmentedTab<ReportView["range"]>[] = [
  ...RANGE_PRESETS.map((days) => ({ label: `${days} days`, value: days })),
  { label: "Custom", value: "custom" },
];

export interface ReportFiltersProps {
  view: ReportView;
  onChange: (view: ReportView) => void;
  channels: readonly Channel[];
  /** Why the custom range cannot be reported on, shown under the dates. */
  rangeError: string | null;
}

/** The period (7, 14, 30 days or two dates) and the channel the report covers. */
export function ReportFilters({ view, onChange, channels, rangeError }: ReportFiltersProps) {
  const ids = { channel: useId(), error: useId() };
  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap items-end gap-3" role="group" aria-label="Report filters">
        <SegmentedTabs tabs={RANGE_TABS} value={view.range} onChange={(range) => onChange({ ...view, range })} label="Period" testId="report-range" />
        {view.range === "custom" && (
          <div className="flex items-end gap-2">
            <DateRangeFields
              value={view}
              onChange={({ from, to }) => onChange({ ...view, from, to })}
              testIds={{ from: "report-from", to: "report-to" }}
              errorId={rangeError === null ? undefined : ids.error}
            />
          </div>
        )}
        <FilterField id={ids.channel} label="Channel" className="sm:ml-auto">
          <select
            id={ids.channel}
            data-testid="report-channel"
            value={view.channelId ?? ""}
            onChange={(e) => onChange({ ...view, channelId: e.target.value === "" ? null : e.target.value })}
            className={FILTER_CONTROL}
          >
            <option value="">All channels</option>
            {channels.map((channel) => (
              <option key={channel.id} value={channel.id}>
                {channel.name}
                {channel.status === "disconnected" ? " (disconnected)" : ""}
              </option>
            ))}
          </select>
        </FilterField>
      </div>
      {rangeError !== null && (
        <p id={ids.error} role="alert" data-testid="report-range-error" className="text-sm text-destructive">
          {rangeError}
        </p>
      )}
    </div>
  );
}
