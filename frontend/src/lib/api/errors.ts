import type { ApiErrorBody } from "./types";

/** One field the server found wrong (`fields` of a 422: `body.1`, `header`, `phone`...). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A non-2xx answer from the API, carrying the server's machine code and readable detail. */
export class ApiError extends Error implements ApiErrorBody {
  readonly status: number;
  readonly error: string;
  readonly detail: string;
  /** Per-field problems, when the server listed them. */
  readonly fields: FieldProblem[];

  constructor(status: number, error: string, detail: string, fields: FieldProblem[] = []) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.error = error;
    this.detail = detail;
    this.fields = fields;
  }
}

function fieldProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) =>
    item !== null &&
    typeof item === "object" &&
    "field" in item &&
    "message" in item &&
    typeof item.field === "string" &&
    typeof item.message === "string"
      ? [{ field: item.field, message: item.message }]
      : [],
  );
}

function fallbackDetail(status: number): string {
  if (status === 401) return "Your session has expired. Please sign in again.";
  if (status === 403) return "You do not have permission to do that.";
  if (status === 404) return "Not found.";
  if (status >= 502 && status <= 504) return "The Parley server is not reachable right now.";
  if (status >= 500) return "Something went wrong on the server. Please try again.";
  return `Request failed (HTTP ${status}).`;
}

function describeValidationItem(item: unknown): string | null {
  if (item === null || typeof item !== "object" || !("msg" in item)) return null;
  const msg = typeof item.msg === "string" ? item.msg : null;
  if (msg === null) return null;
  const loc = "loc" in item && Array.isArray(item.loc) ? item.loc : [];
  // FastAPI prefixes the location with "body"/"query"; the field name is what people read.
  const field = loc.filter((part) => part !== "body" && part !== "query").join(".");
  return field ? `${field}: ${msg}` : msg;
}

/** Builds an ApiError from whatever body the server sent (our `{error, detail}` or FastAPI's default). */
export function toApiError(status: number, body: unknown): ApiError {
  let code = `http_${status}`;
  let detail = fallbackDetail(status);
  let fields: FieldProblem[] = [];
  if (body !== null && typeof body === "object") {
    if ("fields" in body) fields = fieldProblems(body.fields);
    if ("error" in body && typeof body.error === "string") code = body.error;
    if ("detail" in body) {
      if (typeof body.detail === "string" && body.detail.trim() !== "") {
        detail = body.detail;
      } else if (Array.isArray(body.detail)) {
        const parts = body.detail.map(describeValidationItem).filter((p) => p !== null);
        if (parts.length > 0) detail = parts.join("; ");
      }
    }
  }
  return new ApiError(status, code, detail, fields);
}

/** The sentence to show a person for any error thrown by an API call. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof TypeError) return "Could not reach Parley. Check your connection and try again.";
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Please try again.";
}
