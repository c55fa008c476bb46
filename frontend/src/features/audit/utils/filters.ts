import type { AuditLogFilters } from "@/lib/query-keys";

/** The page's filters as the URL holds them (`?action=team.&actor=user:…&from=2026-11-01&to=…`). */
export interface AuditLogView {
  action: string | null;
  /** "user:<id>" or "type:<actor type>". */
  actor: string | null;
  /** Local calendar days, YYYY-MM-DD, both inclusive. */
  from: string | null;
  to: string | null;
}

export const EMPTY_VIEW: AuditLogView = { action: null, actor: null, from: null, to: null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ACTOR_TYPES = new Set(["user", "api_key", "system", "anonymous"]);

/** Local midnight at the start of a YYYY-MM-DD day, `plusDays` later, as an ISO instant. */
function startOfDay(day: string, plusDays = 0): string | null {
  if (!DAY.test(day)) return null;
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const start = new Date(year, month - 1, date + plusDays);
  return Number.isNaN(start.getTime()) ? null : start.toISOString();
}

/** True when both days are set and the range ends before it starts. */
export function rangeIsBackwards(view: AuditLogView): boolean {
  return view.from !== null && view.to !== null && view.from > view.to;
}

/** The API's filters for a view: the days become [local midnight, next local midnight). */
export function filtersOf(view: AuditLogView): AuditLogFilters {
  let actorUserId: string | null = null;
  let actorType: AuditLogFilters["actorType"] = null;
  if (view.actor?.startsWith("user:")) actorUserId = view.actor.slice("user:".length) || null;
  else if (view.actor?.startsWith("type:")) {
    const type = view.actor.slice("type:".length);
    if (ACTOR_TYPES.has(type)) actorType = type as AuditLogFilters["actorType"];
  }
  return {
    action: view.action,
    actorUserId,
    actorType,
    since: view.from === null ? null : startOfDay(view.from),
    until: view.to === null ? null : startOfDay(view.to, 1),
  };
}

export function isFiltered(view: AuditLogView): boolean {
  return view.action !== null || view.actor !== null || view.from !== null || view.to !== null;
}
