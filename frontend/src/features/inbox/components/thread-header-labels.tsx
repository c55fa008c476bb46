import { Plus, Tag } from "lucide-react";
import { useId, useMemo, useState, type KeyboardEvent } from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Input } from "@/components/ui/input";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { cn } from "@/lib/utils";

import { useLabels } from "../api/get-labels";
import { MAX_LABELS, normalizeLabel } from "../utils/labels";

export interface LabelsEditorProps {
  labels: readonly string[];
  onChange: (labels: string[]) => void;
  disabled?: boolean;
}

/** Tick the team's labels on or off, or type a new one (Enter adds it). */
export function LabelsEditor({ labels, onChange, disabled = false }: LabelsEditorProps) {
  const known = useLabels();
  const [filter, setFilter] = useState("");
  const inputId = useId();
  const normalized = filter.trim() === "" ? null : normalizeLabel(filter);
  const candidate = normalized !== null && "label" in normalized ? normalized.label : null;

  const options = useMemo(() => {
    const names = new Set<string>(labels);
    for (const usage of known.data ?? []) names.add(usage.name);
    const all = [...names];
    const needle = filter.trim().toLowerCase().replace(/\s+/g, "-");
    return needle === "" ? all : all.filter((name) => name.includes(needle));
  }, [known.data, labels, filter]);

  const full = labels.length >= MAX_LABELS;
  const canCreate = candidate !== null && !options.includes(candidate) && !full;

  function toggle(name: string, on: boolean) {
    onChange(on ? [...labels, name] : labels.filter((l) => l !== name));
  }

  function create() {
    if (!canCreate || candidate === null) return;
    onChange([...labels, candidate]);
    setFilter("");
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (canCreate) create();
    else if (candidate !== null && options.includes(candidate) && !labels.includes(candidate) && !full) toggle(candidate, true);
  }

  return (
    <div className="grid gap-2" data-testid="labels-editor">
      <label htmlFor={inputId} className="sr-only">
        Find or create a label
      </label>
      <Input
        id={inputId}
        value={filter}
        onChange={(event) => setFilter(event.target.value)}
        onKeyDown={onKeyDown}
        placeholder="Find or create a label…"
        className="h-8"
        disabled={disabled}
        autoFocus
      />
      {normalized !== null && "problem" in normalized && (
        <p className="text-xs text-destructive" role="alert">
          {normalized.problem}
        </p>
      )}
      <ul className="grid max-h-56 gap-0.5 overflow-y-auto" aria-label="Labels">
        {options.map((name) => {
          const checked = labels.includes(name);
          return (
            <li key={name}>
              <label
                className={cn(
                  "flex cursor-pointer items-center gap-2 rounded-md px-1.5 py-1 text-sm hover:bg-accent",
                  !checked && full && "cursor-not-allowed opacity-50",
                )}
              >
                <Checkbox
                  checked={checked}
                  disabled={disabled || (!checked && full)}
                  onCheckedChange={(on) => toggle(name, on)}
                  data-testid="label-option"
                  data-label={name}
                />
                <span className="truncate">{name}</span>
              </label>
            </li>
          );
        })}
        {options.length === 0 && !canCreate && (
          <li className="px-1.5 py-1 text-xs text-muted-foreground">{known.isPending ? "Loading labels…" : "No labels yet."}</li>
        )}
      </ul>
      {canCreate && (
        <Button type="button" variant="ghost" size="sm" className="justify-start" onClick={create} disabled={disabled} data-testid="label-create">
          <Plus aria-hidden />
          Create “{candidate}”
        </Button>
      )}
      {full && <p className="text-xs text-muted-foreground">A conversation has at most {MAX_LABELS} labels.</p>}
    </div>
  );
}

/** The conversation's labels as chips, and a button that opens the editor. */
export function LabelsControl({ labels, onChange, disabled }: LabelsEditorProps) {
  return (
    <Popover>
      <PopoverTrigger asChild>
        <Button
          variant="ghost"
          size="sm"
          className="h-8 max-w-64 gap-1 px-2 text-muted-foreground"
          data-testid="labels-trigger"
          aria-label={labels.length === 0 ? "Add labels" : `Labels: ${labels.join(", ")}`}
          title={labels.length === 0 ? "Add labels" : labels.join(", ")}
        >
          <Tag aria-hidden />
          {labels.length === 0 ? (
            <span className="hidden 2xl:inline">Labels</span>
          ) : (
            <>
              {/* The count where space is short; the labels themselves on a wide screen. */}
              <span className="text-xs font-medium tabular-nums 2xl:hidden">{labels.length}</span>
              <span className="hidden min-w-0 gap-1 overflow-hidden 2xl:flex">
                {labels.slice(0, 3).map((label) => (
                  <Badge key={label} variant="secondary" className="font-normal" data-testid="thread-label">
                    {label}
                  </Badge>
                ))}
                {labels.length > 3 && <span className="text-xs">+{labels.length - 3}</span>}
              </span>
            </>
          )}
        </Button>
      </PopoverTrigger>
      <PopoverContent align="end" className="w-64 p-2">
        <LabelsEditor labels={labels} onChange={onChange} disabled={disabled} />
      </PopoverContent>
    </Popover>
  );
}
