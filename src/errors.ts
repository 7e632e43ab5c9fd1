/**
 * One root error class and a few named kinds. Each kind carries a stable `code` and the HTTP
 * status it stands for (chosen by the kind, not at each throw), the way Hono's HTTPException does:
 * the server answers with that status and code in one place (`errorResponse`), and the CLI prints
 * the message and exits with 2 for the caller's mistakes (4xx) or 1 for the rest, in one place
 * (`runCli`). The throwing code picks the kind, and with it the status; the message is written to
 * be shown as it is.
 */
export class MovieNightError extends Error {
  /** A stable machine-readable code, e.g. `invalid_input`. */
  readonly code: string;
  /** HTTP status the server answers with. */
  readonly status: number;
  constructor(message: string, code = 'error', status = 500, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** The caller gave something that is not acceptable (a bad flag, body, parameter). */
export class InvalidInputError extends MovieNightError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'invalid_input', 400, options);
  }
}

/** The most characters of an offending value an error quotes. */
export const maxQuotedValue = 80;

/**
 * At most `maxQuotedValue` characters of `value`, with how many were left out: a damaged line can
 * be megabytes long, and an error message is read by a person.
 */
export function valueExcerpt(value: string): string {
  if (value.length <= maxQuotedValue) return value;
  const shown = maxQuotedValue - 20;
  return `${value.slice(0, shown)}… (${value.length - shown} more characters)`;
}

/** A data file did not parse or broke a rule; names the file, line and (an excerpt of) the value. */
export class DataFormatError extends MovieNightError {
  readonly file: string;
  readonly line: number;
  readonly value: string;
  constructor(file: string, line: number, value: string, problem: string) {
    const quoted = valueExcerpt(value);
    super(`${file}:${line}: ${problem} (value: ${JSON.stringify(quoted)})`, 'data_format', 400);
    this.file = file;
    this.line = line;
    this.value = quoted;
  }
}

export class NotFoundError extends MovieNightError {
  constructor(message: string) {
    super(message, 'not_found', 404);
  }
}

/** The request conflicts with the current state (a test already running, a lock held…). */
export class ConflictError extends MovieNightError {
  constructor(message: string) {
    super(message, 'conflict', 409);
  }
}

export class UnauthorizedError extends MovieNightError {
  constructor(message = 'sign in required') {
    super(message, 'unauthorized', 401);
  }
}

export class ForbiddenError extends MovieNightError {
  constructor(message = 'not allowed') {
    super(message, 'forbidden', 403);
  }
}

/** The database was written by a newer MovieNight than this one. */
export class SchemaVersionError extends MovieNightError {
  constructor(message: string) {
    super(message, 'schema_version', 500);
  }
}

/** A saved model (artifact) is missing, damaged or of another format version. */
export class ArtifactError extends MovieNightError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'artifact', 500, options);
  }
}

/**
 * A request to use a version whose artifact is missing or damaged (activating it, rolling back to
 * it): refused, 409, since the version's state is what stands in the way. Still an ArtifactError.
 */
export class ArtifactRefusedError extends ArtifactError {
  override readonly status = 409;
}

/** An error as plain data: what crosses a thread or a job queue, where classes do not. */
export interface ErrorKind {
  readonly message: string;
  /** MovieNightError's code; `error` for anything else. */
  readonly code: string;
  readonly status: number;
}

/** The plain data of any thrown value (a MovieNightError keeps its code and status; the rest 500). */
export function errorKindOf(error: unknown): ErrorKind {
  if (error instanceof MovieNightError)
    return { message: error.message, code: error.code, status: error.status };
  return { message: error instanceof Error ? error.message : String(error), code: 'error', status: 500 };
}

/**
 * The error again on this side: the named kind for the codes that have one (so `instanceof
 * ConflictError` holds after a thread or a queue), else a MovieNightError with the same code and
 * status (a plain 500 for an error that was not ours).
 */
export function errorFromKind(kind: ErrorKind): MovieNightError {
  switch (kind.code) {
    case 'invalid_input':
      return new InvalidInputError(kind.message);
    case 'not_found':
      return new NotFoundError(kind.message);
    case 'conflict':
      return new ConflictError(kind.message);
    default:
      return new MovieNightError(kind.message, kind.code, kind.status);
  }
}
