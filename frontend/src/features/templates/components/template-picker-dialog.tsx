import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";

import { TemplatePicker, type TemplatePickerProps } from "./template-picker";

export interface TemplatePickerDialogProps extends TemplatePickerProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** Why a template (the composer's banner sentence), under the title. */
  description?: string;
}

/** The template picker in a dialog, for the composer. It closes once the send was accepted. */
export function TemplatePickerDialog({ open, onOpenChange, description, onSubmit, ...picker }: TemplatePickerDialogProps) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[calc(100dvh-2rem)] overflow-y-auto sm:max-w-3xl" data-testid="template-picker">
        <div className="grid gap-1 pr-6">
          <DialogTitle>Send a WhatsApp template</DialogTitle>
          <DialogDescription>
            {description ?? "Only templates Meta has approved can be sent; pick one and fill in its values."}
          </DialogDescription>
        </div>
        {open && (
          <TemplatePicker
            {...picker}
            onSubmit={async (choice, options) => {
              await onSubmit(choice, options);
              onOpenChange(false);
            }}
          />
        )}
      </DialogContent>
    </Dialog>
  );
}
