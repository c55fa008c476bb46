import { ArrowLeft, FileText, RefreshCw, Search } from "lucide-react";
import { useId, useMemo, useState, type FormEvent, type ReactNode } from "react";

import { Alert, AlertDescription } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Spinner } from "@/components/ui/spinner";
import { useCan } from "@/features/auth/hooks/use-can";
import { ApiError, errorMessage } from "@/lib/api/errors";
import type { Template, TemplateChoice } from "@/lib/api/types";
import { cn } from "@/lib/utils";

import { useTemplates } from "../api/get-templates";
import { useTemplatePreview } from "../api/preview-template";
import { useSyncTemplates } from "../api/sync-templates";
import { useDebouncedValue } from "../hooks/use-debounced-value";
import {
  buttonsWithValues,
  componentText,
  emptyValues,
  headerKind,
  toTemplateChoice,
  toTemplateParameters,
  validateTemplateValues,
  variableLabel,
  type FieldProblem,
  type TemplateFormValues,
} from "../utils/template-params";

import { TemplatePreview } from "./template-preview";

const PREVIEW_DEBOUNCE_MS = 400;
const SEARCH_DEBOUNCE_MS = 250;

const selectClass =
  "h-8 rounded-md border border-input bg-background px-2 text-sm shadow-xs outline-none focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/40";

function categoryLabel(category: string | null): string {
  if (category === null) return "Uncategorised";
  return category.charAt(0) + category.slice(1).toLowerCase();
}

// --- the list ---------------------------------------------------------------------------

function SyncTemplatesLink({ channelId }: { channelId: string }) {
  const sync = useSyncTemplates();
  return (
    <span className="flex items-center gap-2 text-xs">
      <button
        type="button"
        className="inline-flex items-center gap-1 font-medium text-primary underline-offset-2 hover:underline disabled:opacity-50"
        onClick={() => sync.mutate(channelId)}
        disabled={sync.isPending}
        data-testid="templates-sync"
      >
        <RefreshCw className={cn("size-3.5", sync.isPending && "animate-spin")} aria-hidden />
        Sync templates
      </button>
      {sync.isSuccess && <span className="text-muted-foreground">{sync.data.synced} synced from Meta.</span>}
      {sync.isError && (
        <span className="text-destructive" role="alert">
          {errorMessage(sync.error)}
        </span>
      )}
    </span>
  );
}

function TemplateList({ channelId, onPick }: { channelId: string; onPick: (template: Template) => void }) {
  const [search, setSearch] = useState("");
  const [language, setLanguage] = useState("");
  const [category, setCategory] = useState("");
  const debounced = useDebouncedValue(search.trim(), SEARCH_DEBOUNCE_MS);
  const templates = useTemplates(channelId, debounced);
  const canSync = useCan("channels:manage") === true;
  const ids = { search: useId(), language: useId(), category: useId() };

  const items = useMemo(() => templates.data?.items ?? [], [templates.data]);
  const languages = useMemo(() => [...new Set(items.map((t) => t.language))].sort(), [items]);
  const categories = useMemo(() => [...new Set(items.map((t) => t.category ?? ""))].filter(Boolean).sort(), [items]);
  const shown = items.filter((t) => (language === "" || t.language === language) && (category === "" || t.category === category));

  return (
    <div className="grid gap-3" data-testid="template-list">
      <div className="flex flex-wrap items-center gap-2">
        <div className="relative min-w-40 flex-1">
          <label htmlFor={ids.search} className="sr-only">
            Search templates by name
          </label>
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
          <Input
            id={ids.search}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            placeholder="Search by name…"
            className="h-8 pl-8"
            data-testid="template-search"
          />
        </div>
        <label htmlFor={ids.language} className="sr-only">
          Language
        </label>
        <select id={ids.language} className={selectClass} value={language} onChange={(e) => setLanguage(e.target.value)} data-testid="template-language">
          <option value="">All languages</option>
          {languages.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <label htmlFor={ids.category} className="sr-only">
          Category
        </label>
        <select id={ids.category} className={selectClass} value={category} onChange={(e) => setCategory(e.target.value)} data-testid="template-category">
          <option value="">All categories</option>
          {categories.map((c) => (
            <option key={c} value={c}>
              {categoryLabel(c)}
            </option>
          ))}
        </select>
      </div>
      {canSync && <SyncTemplatesLink channelId={channelId} />}

      {templates.isPending ? (
        <div className="flex justify-center py-8">
          <Spinner className="size-5" label="Loading templates" />
        </div>
      ) : templates.isError ? (
        <Alert variant="destructive">
          <AlertDescription>
            {errorMessage(templates.error)}{" "}
            <button type="button" className="font-medium underline" onClick={() => void templates.refetch()}>
              Try again
            </button>
          </AlertDescription>
        </Alert>
      ) : shown.length === 0 ? (
        <p className="rounded-lg border border-dashed px-4 py-8 text-center text-sm text-muted-foreground" data-testid="template-list-empty">
          {items.length === 0 && debounced === ""
            ? "This number has no approved templates yet. Create them in WhatsApp Manager, then sync."
            : "No approved template matches."}
        </p>
      ) : (
        <ul className="grid max-h-[50vh] gap-1.5 overflow-y-auto pr-1" aria-label="Approved templates">
          {shown.map((template) => (
            <li key={template.id}>
              <button
                type="button"
                onClick={() => onPick(template)}
                data-testid="template-option"
                data-template-name={template.name}
                className="grid w-full gap-1 rounded-lg border bg-card px-3 py-2 text-left transition-colors hover:border-primary/40 hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/40 focus-visible:outline-none"
              >
                <span className="flex flex-wrap items-center gap-1.5">
                  <FileText className="size-4 text-muted-foreground" aria-hidden />
                  <span className="text-sm font-medium">{template.name}</span>
                  <Badge variant="outline" className="font-normal">
                    {template.language}
                  </Badge>
                  <Badge variant="secondary" className="font-normal">
                    {categoryLabel(template.category)}
                  </Badge>
                </span>
                <span className="line-clamp-2 text-xs text-muted-foreground">{componentText(template, "BODY") ?? "—"}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// --- the parameters form ------------------------------------------------------------------

function Field({
  id,
  label,
  hint,
  problem,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: string;
  problem?: string;
  children: ReactNode;
}) {
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={id} className="text-xs">
        {label}
      </Label>
      {children}
      {hint !== undefined && problem === undefined && <p className="text-xs text-muted-foreground">{hint}</p>}
      {problem !== undefined && (
        <p id={`${id}-problem`} className="text-xs text-destructive" data-testid="template-field-problem" data-field={id}>
          {problem}
        </p>
      )}
    </div>
  );
}

function problemFor(problems: readonly FieldProblem[], field: string): string | undefined {
  return problems.find((p) => p.field === field)?.message;
}

export interface TemplateSubmitOptions {
  template: Template;
}

interface TemplateFormProps {
  template: Template;
  submitLabel: string;
  /** Sends the choice; a rejection with an ApiError is shown inline (per field when it says which). */
  onSubmit: (choice: TemplateChoice, options: TemplateSubmitOptions) => Promise<unknown>;
  onBack: () => void;
  /** Anything that must be valid too before sending (the start dialog's phone number). */
  blocked?: boolean;
}

function TemplateForm({ template, submitLabel, onSubmit, onBack, blocked = false }: TemplateFormProps) {
  const spec = template.parameters;
  const [values, setValues] = useState<TemplateFormValues>(() => emptyValues(spec));
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [attempted, setAttempted] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<{ detail: string; fields: FieldProblem[] } | null>(null);
  const formId = useId();

  const parameters = JSON.stringify(toTemplateParameters(template, values, { forPreview: true }));
  const debounced = useDebouncedValue(parameters, PREVIEW_DEBOUNCE_MS);
  const preview = useTemplatePreview(template.id, JSON.parse(debounced) as ReturnType<typeof toTemplateParameters>);

  const clientProblems = validateTemplateValues(template, values);
  // Client problems first (shown once a field was left or a send tried); the preview's and
  // the refused send's problems (lengths, the server's own rules) for the fields they name.
  const serverProblems = [...(serverError?.fields ?? []), ...(preview.data?.problems ?? [])].filter(
    (p) => !clientProblems.some((c) => c.field === p.field),
  );
  const shownClient = clientProblems.filter((p) => attempted || touched.has(p.field));
  const problems = [...shownClient, ...serverProblems.filter((p) => p.field !== "template" || attempted)];
  const formProblems = problems.filter((p) => !fieldIds(template).includes(p.field));

  function set(update: (values: TemplateFormValues) => TemplateFormValues) {
    setValues(update);
    setServerError(null);
  }
  const touch = (field: string) => () => setTouched((t) => new Set(t).add(field));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setAttempted(true);
    if (clientProblems.length > 0 || blocked || submitting) return;
    setSubmitting(true);
    setServerError(null);
    try {
      await onSubmit(toTemplateChoice(template, values), { template });
    } catch (error) {
      setServerError({ detail: errorMessage(error), fields: error instanceof ApiError ? error.fields : [] });
    } finally {
      setSubmitting(false);
    }
  }

  const kind = headerKind(spec);
  const headerFormat = spec.header?.format.toLowerCase() ?? "";
  const id = (field: string) => `${formId}-${field}`;
  const inputProps = (field: string) => ({
    id: id(field),
    onBlur: touch(field),
    "aria-invalid": problemFor(problems, field) !== undefined || undefined,
    "aria-describedby": problemFor(problems, field) !== undefined ? `${id(field)}-problem` : undefined,
    className: "h-8",
  });

  return (
    <form onSubmit={(event) => void submit(event)} className="grid gap-4" noValidate data-testid="template-form" data-template-name={template.name}>
      <div className="flex flex-wrap items-center gap-2">
        <Button type="button" variant="ghost" size="sm" className="-ml-2 h-7 px-2" onClick={onBack} data-testid="template-back">
          <ArrowLeft aria-hidden />
          Templates
        </Button>
        <span className="text-sm font-medium">{template.name}</span>
        <Badge variant="outline" className="font-normal">
          {template.language}
        </Badge>
        <Badge variant="secondary" className="font-normal">
          {categoryLabel(template.category)}
        </Badge>
      </div>

      <div className="grid gap-4 sm:grid-cols-2">
        <div className="grid content-start gap-3">
          <p className="rounded-md bg-muted px-3 py-2 text-xs whitespace-pre-wrap text-muted-foreground" data-testid="template-body-source">
            {componentText(template, "BODY") ?? "This template's content is not known yet: sync templates."}
          </p>
          {kind === "text_variable" && (
            <Field id={id("header")} label={<>Header {variableLabel(spec.header?.variables[0] ?? "1")}</>} problem={problemFor(problems, "header")}>
              <Input {...inputProps("header")} value={values.headerText} onChange={(e) => set((v) => ({ ...v, headerText: e.target.value }))} />
            </Field>
          )}
          {kind === "media" && (
            <>
              <Field
                id={id("header")}
                label={`Header ${headerFormat} link`}
                hint={`An https:// link to the ${headerFormat} Meta fetches when sending.`}
                problem={problemFor(problems, "header")}
              >
                <Input
                  {...inputProps("header")}
                  type="url"
                  inputMode="url"
                  placeholder="https://…"
                  value={values.headerLink}
                  onChange={(e) => set((v) => ({ ...v, headerLink: e.target.value }))}
                />
              </Field>
              {headerFormat === "document" && (
                <Field id={id("filename")} label="File name (optional)">
                  <Input id={id("filename")} className="h-8" value={values.headerFilename} onChange={(e) => set((v) => ({ ...v, headerFilename: e.target.value }))} />
                </Field>
              )}
            </>
          )}
          {kind === "location" && (
            <fieldset className="grid gap-2">
              <legend className="mb-1 text-xs font-medium">Header location</legend>
              <div className="grid grid-cols-2 gap-2">
                <Input {...inputProps("header")} id={id("latitude")} inputMode="decimal" placeholder="Latitude" aria-label="Latitude" value={values.latitude} onChange={(e) => set((v) => ({ ...v, latitude: e.target.value }))} />
                <Input {...inputProps("header")} id={id("longitude")} inputMode="decimal" placeholder="Longitude" aria-label="Longitude" value={values.longitude} onChange={(e) => set((v) => ({ ...v, longitude: e.target.value }))} />
              </div>
              <Input id={id("place")} className="h-8" placeholder="Place name (optional)" aria-label="Place name" value={values.placeName} onChange={(e) => set((v) => ({ ...v, placeName: e.target.value }))} />
              <Input id={id("address")} className="h-8" placeholder="Address (optional)" aria-label="Address" value={values.placeAddress} onChange={(e) => set((v) => ({ ...v, placeAddress: e.target.value }))} />
              {problemFor(problems, "header") !== undefined && (
                <p id={`${id("header")}-problem`} className="text-xs text-destructive" data-testid="template-field-problem" data-field="header">
                  {problemFor(problems, "header")}
                </p>
              )}
            </fieldset>
          )}
          {spec.body.map((name) => (
            <Field key={name} id={id(`body.${name}`)} label={<>Body {variableLabel(name)}</>} problem={problemFor(problems, `body.${name}`)}>
              <Input
                {...inputProps(`body.${name}`)}
                data-testid="template-body-input"
                data-variable={name}
                value={values.body[name] ?? ""}
                onChange={(e) => set((v) => ({ ...v, body: { ...v.body, [name]: e.target.value } }))}
              />
            </Field>
          ))}
          {buttonsWithValues(spec).map((button) => (
            <Field
              key={button.index}
              id={id(`buttons.${button.index}`)}
              label={`Button “${button.text ?? button.type}”${button.needs_value ? "" : " (optional)"}`}
              hint={button.type === "URL" ? "The end of the button's link." : button.type === "QUICK_REPLY" ? "The payload sent back when tapped." : "The code."}
              problem={problemFor(problems, `buttons.${button.index}`)}
            >
              <Input
                {...inputProps(`buttons.${button.index}`)}
                data-testid="template-button-input"
                value={values.buttons[button.index] ?? ""}
                onChange={(e) => set((v) => ({ ...v, buttons: { ...v.buttons, [button.index]: e.target.value } }))}
              />
            </Field>
          ))}
          {spec.body.length === 0 && kind !== "text_variable" && kind !== "media" && kind !== "location" && buttonsWithValues(spec).length === 0 && (
            <p className="text-xs text-muted-foreground">This template has nothing to fill in.</p>
          )}
        </div>
        <TemplatePreview preview={preview.data} loading={preview.isFetching} />
      </div>

      {(serverError !== null || formProblems.length > 0) && (
        <Alert variant="destructive" data-testid="template-error">
          <AlertDescription>
            {serverError !== null && serverError.fields.length === 0 ? <p>{serverError.detail}</p> : null}
            {formProblems.length > 0 && (
              <ul className="list-disc pl-4">
                {formProblems.map((p) => (
                  <li key={`${p.field}:${p.message}`}>{p.message}</li>
                ))}
              </ul>
            )}
          </AlertDescription>
        </Alert>
      )}
      {preview.isError && (
        <p className="text-xs text-muted-foreground" role="status">
          The preview is not available: {errorMessage(preview.error)}
        </p>
      )}

      <div className="flex justify-end gap-2">
        <Button type="submit" disabled={submitting || blocked} data-testid="template-submit">
          {submitting && <Spinner className="text-primary-foreground" label="Sending" />}
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

/** The fields the form shows inputs for (problems for other fields go in the summary). */
function fieldIds(template: Template): string[] {
  const spec = template.parameters;
  const kind = headerKind(spec);
  return [
    ...(kind === "text_variable" || kind === "media" || kind === "location" ? ["header"] : []),
    ...spec.body.map((name) => `body.${name}`),
    ...buttonsWithValues(spec).map((button) => `buttons.${button.index}`),
  ];
}

// --- the picker -----------------------------------------------------------------------------

export interface TemplatePickerProps {
  /** The WhatsApp channel whose (WABA's) approved templates are offered. */
  channelId: string;
  submitLabel?: string;
  onSubmit: (choice: TemplateChoice, options: TemplateSubmitOptions) => Promise<unknown>;
  blocked?: boolean;
}

/** Choose an approved template, fill in its parameters (checked as you type), preview, send. */
export function TemplatePicker({ channelId, submitLabel = "Send template", onSubmit, blocked }: TemplatePickerProps) {
  const [picked, setPicked] = useState<Template | null>(null);
  if (picked === null) return <TemplateList channelId={channelId} onPick={setPicked} />;
  return (
    <TemplateForm
      key={picked.id}
      template={picked}
      submitLabel={submitLabel}
      onSubmit={onSubmit}
      onBack={() => setPicked(null)}
      blocked={blocked}
    />
  );
}
