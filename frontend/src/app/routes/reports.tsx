import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

import { SettingsPage } from "@/components/settings-page";
import type { ReportView } from "@/features/reports/components/report-filters";
import { ReportBody } from "@/features/reports/components/report-view";
import {
  DEFAULT_PRESET,
  RANGE_PRESETS,
  localTimeZone,
  localToday,
  presetRange,
  rangeProblem,
  type RangePreset,
} from "@/features/reports/utils/report";
import type { ReportFilters } from "@/lib/query-keys";

function presetOf(value: string | null): RangePreset | "custom" {
  if (value === "custom") return "custom";
  const days = Number(value);
  return RANGE_PRESETS.find((preset) => preset === days) ?? DEFAULT_PRESET;
}

/**
 * The view lives in the URL (`?range=7`, `?range=custom&from=…&to=…`, `&channel=…`), so a
 * report can be shared or reloaded. Quick ranges end today where the browser is.
 */
function useReportView(): [ReportView, (view: ReportView) => void, ReportFilters, string | null] {
  const [params, setParams] = useSearchParams();
  const today = localToday();
  const range = presetOf(params.get("range"));
  const quick = presetRange(range === "custom" ? DEFAULT_PRESET : range, today);
  const view = useMemo<ReportView>(
    () => ({
      range,
      from: range === "custom" ? (params.get("from") ?? quick.from) : quick.from,
      to: range === "custom" ? (params.get("to") ?? quick.to) : quick.to,
      channelId: params.get("channel") || null,
    }),
    [params, range, quick.from, quick.to],
  );
  const setView = useCallback(
    (next: ReportView) => {
      const search = new URLSearchParams();
      if (next.range !== DEFAULT_PRESET) search.set("range", String(next.range));
      if (next.range === "custom") {
        // Switching to Custom starts from the range on screen.
        search.set("from", next.from);
        search.set("to", next.to);
      }
      if (next.channelId !== null) search.set("channel", next.channelId);
      setParams(search, { replace: true });
    },
    [setParams],
  );
  const tz = useMemo(() => localTimeZone(), []);
  const filters = useMemo<ReportFilters>(
    () => ({ from: view.from, to: view.to, tz, channelId: view.channelId }),
    [view.from, view.to, tz, view.channelId],
  );
  const rangeError = view.range === "custom" ? rangeProblem(view.from, view.to) : null;
  return [view, setView, filters, rangeError];
}

function ReportsBody() {
  const [view, setView, filters, rangeError] = useReportView();
  return <ReportBody view={view} onViewChange={setView} filters={filters} rangeError={rangeError} />;
}

/** Traffic, delivery and failures per channel and day: owners and admins (the API refuses others). */
export function ReportsRoute() {
  return (
    <SettingsPage
      title="Reports"
      description="Messages in and out per channel and day, how many Meta delivered and customers read, what failed and why, and how webhooks are flowing."
      width="6xl"
      className="gap-8"
      permission="reports:read"
      denied={{
        title: "Reports are for owners and admins",
        description: "Ask an owner or admin of this workspace if you need these numbers.",
      }}
    >
      <ReportsBody />
    </SettingsPage>
  );
}
