/**
 * @module errors
 * The one catalogue of errors Polso reports: a stable code, its HTTP status and a message template.
 * Request-level problems are thrown as {@link PolsoError}; per-record problems are returned as
 * {@link RecordError} values inside an ingestion result (failure there is expected, not exceptional).
 */

export const ERRORS = {
  // Request-level
  POLSO_MALFORMED_JSON: { status: 400, message: 'The body is not valid JSON' },
  POLSO_BAD_REQUEST: { status: 400, message: 'The request is not valid' },
  POLSO_UNAUTHORIZED: { status: 401, message: 'Missing or invalid API key' },
  POLSO_FORBIDDEN: { status: 403, message: 'This key may not do this' },
  POLSO_NOT_FOUND: { status: 404, message: 'Not found' },
  POLSO_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  POLSO_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  POLSO_ALL_REJECTED: { status: 422, message: 'Every record was rejected' },
  POLSO_INTERNAL: { status: 500, message: 'Internal error' },
  POLSO_UNAVAILABLE: { status: 503, message: 'The store is not ready' },
  // Queries
  POLSO_UNKNOWN_METRIC: { status: 400, message: 'Unknown metric' },
  POLSO_UNKNOWN_DIMENSION: { status: 400, message: 'Unknown dimension' },
  POLSO_DIMENSION_NOT_APPLICABLE: { status: 400, message: 'The dimension does not apply to the metric' },
  POLSO_BAD_QUERY: { status: 400, message: 'The query is not valid' },
  POLSO_BAD_PARAM: { status: 400, message: 'A metric parameter is not valid' },
  // CLI / configuration
  POLSO_STORE_LOCKED: { status: 409, message: 'The data directory is in use by another process' },
  POLSO_FILE_NOT_FOUND: { status: 400, message: 'File not found' },
  POLSO_BAD_OPTION: { status: 400, message: 'Invalid option' },
  // Per-record
  RECORD_NOT_OBJECT: { status: 422, message: 'A record must be a JSON object' },
  RECORD_TOO_LARGE: { status: 413, message: 'The record is larger than the per-record limit' },
  RECORD_MALFORMED_LINE: { status: 400, message: 'This NDJSON line is not valid JSON' },
  RECORD_UNKNOWN_TYPE: { status: 422, message: 'Unknown record type' },
  RECORD_UNKNOWN_FIELD: { status: 422, message: 'Unknown field' },
  RECORD_MISSING_FIELD: { status: 422, message: 'Required field is missing' },
  RECORD_WRONG_TYPE: { status: 422, message: 'Field has the wrong type' },
  RECORD_INVALID_VALUE: { status: 422, message: 'Field has an invalid value' },
  RECORD_OUT_OF_RANGE: { status: 422, message: 'Field is out of range' },
  RECORD_TOO_LONG: { status: 422, message: 'Field is too long' },
  RECORD_BAD_TIMESTAMP: { status: 422, message: 'Not an ISO 8601 timestamp with offset' },
  RECORD_NO_PERSON: { status: 422, message: 'customerId or anonymousId is required' },
  RECORD_UNKNOWN_CURRENCY: { status: 422, message: 'No exchange rate for this currency in the project' },
  RECORD_INCONSISTENT: { status: 422, message: 'Field contradicts another field' },
  RECORD_UNSUPPORTED_MESSAGE: { status: 422, message: 'Unsupported Segment message' },
  // Surveys
  SURVEY_INVALID_DEFINITION: { status: 422, message: 'The survey definition is not valid' },
  SURVEY_NOT_FOUND: { status: 404, message: 'No such survey' },
  SURVEY_BAD_INVITATION: { status: 422, message: 'The invitation request is not valid' },
  SURVEY_NO_ADDRESS: { status: 422, message: 'The customer has no address for this delivery route' },
  SURVEY_OPTED_OUT: { status: 409, message: 'The customer has opted out of surveys' },
  SURVEY_LINK_INVALID: { status: 404, message: 'This survey link is not valid' },
  SURVEY_BAD_ANSWER: { status: 422, message: 'An answer is not valid for its question' },
  SURVEY_BAD_WEBHOOK: { status: 422, message: 'The webhook is not valid' },
  // Dashboard: sign-in, sessions, customer view, drill-down
  POLSO_BAD_CREDENTIALS: { status: 401, message: 'Wrong e-mail, password or key' },
  POLSO_CSRF: { status: 403, message: 'Missing or wrong CSRF token (X-CSRF-Token header)' },
  POLSO_ROLE: { status: 403, message: 'Your role may not do this' },
  POLSO_USER_EXISTS: { status: 409, message: 'A user with this e-mail address already exists' },
  POLSO_BAD_USER: { status: 400, message: 'The user is not valid (e-mail, role or password)' },
  POLSO_CUSTOMER_NOT_FOUND: { status: 404, message: 'No such customer in this project' },
  // Customer models (CLV, churn risk)
  MODEL_BAD_INPUT: { status: 400, message: 'The input of the model is not valid' },
  MODEL_NOT_ENOUGH_DATA: { status: 422, message: 'Not enough data to fit the model' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** A user-facing error with a stable code; thrown for request-level failures. */
export class PolsoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERRORS[code].message);
    this.name = 'PolsoError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

/** One problem with one record of a batch: which record (`index`), which field, why. */
export interface RecordError {
  index: number;
  field: string | null;
  code: ErrorCode;
  message: string;
}

/** Builds a {@link RecordError} with the catalogue message unless a specific one is given. */
export function recordError(
  index: number,
  field: string | null,
  code: ErrorCode,
  message?: string,
): RecordError {
  return { index, field, code, message: message ?? ERRORS[code].message };
}
