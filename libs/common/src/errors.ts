/**
 * Every lib has one error class with a code enum. Each class maps its codes to HTTP statuses
 * with an exhaustive record, so the one exception filter turns any of them into problem+json.
 */
export interface ProblemExtras {
  /** The request field at fault (`body.segments[0]`, `query.segment`), when there is one. */
  field?: string;
  [key: string]: unknown;
}

export abstract class AdloomError<Code extends string = string> extends Error {
  protected constructor(
    readonly code: Code,
    readonly status: number,
    detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }

  get detail(): string {
    return this.message;
  }
}

/** Builds an error class for one lib from its code → status table. */
export function defineErrors<Code extends string>(name: string, statuses: Record<Code, number>) {
  const cls = class extends AdloomError<Code> {
    constructor(code: Code, detail: string, extras: ProblemExtras = {}) {
      super(code, statuses[code], detail, extras);
    }
  };
  Object.defineProperty(cls, 'name', { value: name });
  return cls;
}

/** Errors shared by every HTTP surface: bad input, missing rows, auth. */
export const CommonError = defineErrors('CommonError', {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  precondition_required: 428,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
});
export type CommonError = InstanceType<typeof CommonError>;
