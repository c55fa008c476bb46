import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";

import { Button } from "@/components/ui/button";
import { ApiError } from "@/lib/api/errors";

import { ConfirmDialog, type ConfirmDialogProps } from "./confirm-dialog";

type Overrides = Partial<Omit<ConfirmDialogProps, "open" | "onOpenChange" | "trigger">>;

function Harness({ onOpenChange, startOpen = false, ...props }: Overrides & { onOpenChange?: (open: boolean) => void; startOpen?: boolean }) {
  const [open, setOpen] = useState(startOpen);
  return (
    <ConfirmDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        onOpenChange?.(next);
      }}
      trigger={<Button data-testid="open">Remove</Button>}
      title="Remove Ada?"
      description="She is signed out at once."
      confirmLabel="Remove"
      onConfirm={() => undefined}
      testId="dialog"
      confirmTestId="confirm"
      errorTestId="dialog-error"
      {...props}
    />
  );
}

describe("ConfirmDialog", () => {
  it("opens from its trigger, says what happens and confirms", async () => {
    const onConfirm = vi.fn();
    render(<Harness onConfirm={onConfirm} />);
    expect(screen.queryByTestId("dialog")).toBeNull();

    await userEvent.click(screen.getByTestId("open"));
    const dialog = await screen.findByTestId("dialog");
    expect(screen.getByRole("alertdialog", { name: "Remove Ada?" })).toBe(dialog);
    expect(dialog).toHaveTextContent("She is signed out at once.");
    expect(screen.getByTestId("confirm")).toHaveTextContent("Remove");
    expect(screen.queryByTestId("dialog-error")).toBeNull();

    await userEvent.click(screen.getByTestId("confirm"));
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it("closes on Cancel", async () => {
    const onOpenChange = vi.fn();
    render(<Harness onOpenChange={onOpenChange} />);
    await userEvent.click(screen.getByTestId("open"));
    await userEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    expect(onOpenChange).toHaveBeenLastCalledWith(false);
    expect(screen.queryByTestId("dialog")).toBeNull();
  });

  it("while pending, disables both buttons, shows the spinner and stays open", async () => {
    const onOpenChange = vi.fn();
    render(<Harness startOpen pending pendingLabel="Removing" onOpenChange={onOpenChange} />);
    await screen.findByTestId("dialog");
    expect(screen.getByTestId("confirm")).toBeDisabled();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeDisabled();
    expect(screen.getByRole("status", { name: "Removing" })).toBeInTheDocument();

    await userEvent.keyboard("{Escape}");
    expect(screen.getByTestId("dialog")).toBeInTheDocument();
    expect(onOpenChange).not.toHaveBeenCalledWith(false);
  });

  it("shows the server's reason when the action failed", async () => {
    render(<Harness error={new ApiError(409, "last_owner", "The last owner cannot be removed.")} />);
    await userEvent.click(screen.getByTestId("open"));
    expect(await screen.findByTestId("dialog-error")).toHaveTextContent("The last owner cannot be removed.");
  });

  it("uses a red confirm button unless told otherwise", async () => {
    const { unmount } = render(<Harness />);
    await userEvent.click(screen.getByTestId("open"));
    expect(await screen.findByTestId("confirm")).toHaveClass("bg-destructive");
    unmount();

    render(<Harness destructive={false} />);
    await userEvent.click(screen.getByTestId("open"));
    expect(await screen.findByTestId("confirm")).not.toHaveClass("bg-destructive");
  });
});
