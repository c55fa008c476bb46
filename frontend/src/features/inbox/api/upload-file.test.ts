import { describe, expect, it } from "vitest";

import type { UploadTicket } from "@/lib/api/types";
import { stubXhr } from "@/testing/dom-stubs";

import { contentTypeOf, fileProblem, putFile, takesCaption, UploadError } from "./upload-file";

const MB = 1_000_000;
const file = (name: string, type: string, size: number) => ({ name, type, size });

describe("fileProblem", () => {
  it("follows each channel's types and sizes", () => {
    expect(fileProblem(file("a.jpg", "image/jpeg", 5 * MB), "whatsapp")).toBeNull();
    expect(fileProblem(file("a.jpg", "image/jpeg", 5 * MB + 1), "whatsapp")).toBe(
      "WhatsApp accepts a JPEG image of at most 5 MB; a.jpg is 5.0 MB.",
    );
    expect(fileProblem(file("a.jpg", "image/jpeg", 20 * MB), "messenger")).toBeNull();
    expect(fileProblem(file("a.gif", "image/gif", 1000), "whatsapp")).toMatch(/^WhatsApp does not accept a GIF image/);
    expect(fileProblem(file("a.gif", "image/gif", 1000), "messenger")).toBeNull();
    expect(fileProblem(file("big.pdf", "application/pdf", 90 * MB), "whatsapp")).toBeNull();
    expect(fileProblem(file("big.pdf", "application/pdf", 90 * MB), "messenger")).toMatch(/at most 25 MB/);
    expect(fileProblem(file("x.exe", "application/x-msdownload", 10), "messenger")).toMatch(/does not accept a file of this type/);
    expect(fileProblem(file("empty.txt", "text/plain", 0), "whatsapp")).toBe("empty.txt is empty.");
  });

  it("knows a file by its extension when the browser gives no type", () => {
    expect(contentTypeOf(file("voice.OPUS", "", 10))).toBe("audio/ogg");
    expect(contentTypeOf(file("photo.jpg", "image/jpg", 10))).toBe("image/jpeg");
    expect(contentTypeOf(file("blob", "", 10))).toBe("application/octet-stream");
  });

  it("a caption goes with WhatsApp images, videos and documents only", () => {
    expect(takesCaption("whatsapp", file("a.jpg", "image/jpeg", 1))).toBe(true);
    expect(takesCaption("whatsapp", file("a.mp3", "audio/mpeg", 1))).toBe(false);
    expect(takesCaption("messenger", file("a.jpg", "image/jpeg", 1))).toBe(false);
  });
});

describe("putFile", () => {
  const ticket: UploadTicket = {
    upload_id: "u1",
    url: "https://storage.example.test/u1",
    method: "PUT",
    headers: { "Content-Type": "image/png", "x-amz-meta-tenant": "t1" },
    expires_at: "2026-11-20T10:15:00Z",
    max_size: 10,
  };

  it("PUTs with exactly the signed headers and reports progress", async () => {
    const xhr = stubXhr();
    const seen: number[] = [];
    const done = putFile(ticket, new Blob(["0123456789"]), { onProgress: (loaded) => seen.push(loaded) });
    const request = xhr.instances[0];
    expect(request?.method).toBe("PUT");
    expect(request?.headers).toEqual(ticket.headers);
    request?.progress(4, 10);
    request?.respond(200);
    await done;
    expect(seen).toEqual([4, 10]);
  });

  it("fails with a sentence, and aborts on the signal", async () => {
    const xhr = stubXhr();
    const refused = putFile(ticket, new Blob(["x"]));
    xhr.instances[0]?.respond(500);
    await expect(refused).rejects.toThrow("The file could not be stored (HTTP 500). Try again.");

    const controller = new AbortController();
    const cancelled = putFile(ticket, new Blob(["x"]), { signal: controller.signal });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ aborted: true });
    expect(xhr.instances[1]?.aborted).toBe(true);

    const offline = putFile(ticket, new Blob(["x"]));
    xhr.instances[2]?.fail();
    await expect(offline).rejects.toBeInstanceOf(UploadError);
  });
});
