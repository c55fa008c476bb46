import { Spinner } from "@/components/ui/spinner";
import type { TemplatePreview as Preview } from "@/lib/api/types";
import { cn } from "@/lib/utils";

/** The message as the customer will see it, in a WhatsApp-like bubble. */
export function TemplatePreview({ preview, loading, className }: { preview: Preview | undefined; loading: boolean; className?: string }) {
  return (
    <section aria-label="Preview" data-testid="template-preview" className={cn("grid content-start gap-2", className)}>
      <div className="flex items-center gap-2 text-xs font-medium text-muted-foreground">
        Preview
        {loading && <Spinner className="size-3" label="Updating preview" />}
      </div>
      <div className="rounded-xl bg-[oklch(0.93_0.03_150)] p-3">
        {preview === undefined ? (
          <p className="text-sm text-muted-foreground">{loading ? "Loading preview…" : "Fill in the values to see the message."}</p>
        ) : (
          <div className="max-w-full rounded-lg rounded-tl-sm bg-background px-3 py-2 text-sm shadow-xs">
            {preview.preview.header !== null && (
              <p data-testid="template-preview-header" className="mb-1 font-semibold break-words">
                {preview.preview.header}
              </p>
            )}
            <p data-testid="template-preview-body" className="whitespace-pre-wrap break-words">
              {preview.preview.body}
            </p>
            {preview.preview.footer !== null && <p className="mt-1 text-xs text-muted-foreground">{preview.preview.footer}</p>}
            {preview.preview.buttons.length > 0 && (
              <ul className="mt-2 grid gap-1 border-t pt-2">
                {preview.preview.buttons.map((label, index) => (
                  <li key={index} className="text-center text-sm font-medium text-[oklch(0.55_0.12_230)]">
                    {label}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
