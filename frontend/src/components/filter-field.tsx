import { Fragment, useId, type ReactNode } from "react";

import { cn } from "@/lib/utils";

/** The look of a compact select or input in a row of list filters. */
export const FILTER_CONTROL =
  "h-8 max-w-56 rounded-md border border-input bg-background px-2 text-sm text-foreground shadow-xs focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none";

const DATE_INPUT = cn(FILTER_CONTROL, "w-38 aria-invalid:border-destructive");

/** A small label stacked over one filter control. */
export function FilterField({ id, label, className, children }: { id: string; label: string; className?: string; children: ReactNode }) {
  return (
    <div className={cn("grid gap-1", className)}>
      <label htmlFor={id} className="text-xs font-medium text-muted-foreground">
        {label}
      </label>
      {children}
    </div>
  );
}

export interface DateRange {
  /** Days as YYYY-MM-DD; "" when not set. */
  from: string;
  to: string;
}

export interface DateRangeFieldsProps {
  value: DateRange;
  onChange: (range: DateRange) => void;
  testIds: { from: string; to: string };
  /** The id of the message that says why the range is wrong; marks both fields invalid. */
  errorId?: string;
}

/** "From" and "To" date fields, each bounded by the other. */
export function DateRangeFields({ value, onChange, testIds, errorId }: DateRangeFieldsProps) {
  const ids = { from: useId(), to: useId() };
  const invalid = errorId !== undefined;
  const fields = [
    { key: "from", label: "From", min: undefined, max: value.to },
    { key: "to", label: "To", min: value.from, max: undefined },
  ] as const;
  return (
    <Fragment>
      {fields.map((field) => (
        <FilterField key={field.key} id={ids[field.key]} label={field.label}>
          <input
            id={ids[field.key]}
            type="date"
            data-testid={testIds[field.key]}
            value={value[field.key]}
            min={field.min || undefined}
            max={field.max || undefined}
            aria-invalid={invalid}
            aria-describedby={errorId}
            onChange={(e) => onChange({ ...value, [field.key]: e.target.value })}
            className={DATE_INPUT}
          />
        </FilterField>
      ))}
    </Fragment>
  );
}
