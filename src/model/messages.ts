/**
 * @module model/messages
 * Human messages for per-record problems, built from the field's own definition so they say what
 * was expected (allowed values, range, length).
 */
import { ERRORS, type ErrorCode } from '../errors.ts';
import { fieldsOf, KINDS, maxLengthOf, type RecordKind } from './kinds.ts';

/**
 * Describes one problem of one field.
 * @example describeProblem('contact', 'channel', 'RECORD_INVALID_VALUE')
 * // 'channel: must be one of voice, chat, email, sms, social, video, webform, other'
 */
export function describeProblem(kind: RecordKind, field: string | null, code: ErrorCode): string {
  const spec = field ? fieldsOf(KINDS[kind]).find((f) => f.name === field) : undefined;
  const at = field ? `${field}: ` : '';
  switch (code) {
    case 'RECORD_INVALID_VALUE':
      if (spec?.values) return `${at}must be one of ${spec.values.join(', ')}`;
      if (field === 'score') return `${at}an NPS score must be a whole number 0–10`;
      if (field === 'currency') return `${at}must be a 3-letter ISO 4217 code`;
      break;
    case 'RECORD_OUT_OF_RANGE':
      if (field === 'score') return `${at}outside the question's scale (nps 0–10, or scaleMin–scaleMax)`;
      if (spec?.type === 'timestamp') return `${at}must be between 1900 and 2200`;
      if (spec) return `${at}must be between ${spec.min ?? '-∞'} and ${spec.max ?? '∞'}`;
      break;
    case 'RECORD_WRONG_TYPE':
      if (spec) return `${at}must be ${article(spec.type)}`;
      break;
    case 'RECORD_TOO_LONG':
      if (spec) return `${at}longer than ${spec.type === 'json' ? 65536 : maxLengthOf(spec)} characters`;
      break;
    case 'RECORD_UNKNOWN_FIELD':
      return `${at}is not a field of ${kind} (free-form data goes in traits or properties)`;
    case 'RECORD_UNKNOWN_CURRENCY':
      return `${at}no exchange rate to the project's reporting currency; add it to the project's fxRates`;
    case 'RECORD_INCONSISTENT':
      if (field === 'scaleMax' || field === 'scaleMin')
        return `${at}the scale is inconsistent (NPS is asked on 0–10 only; scaleMin must be below scaleMax)`;
      return `${at}is earlier than the time it should follow`;
    default:
      break;
  }
  return `${at}${ERRORS[code].message}`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    text: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    timestamp: 'an ISO 8601 timestamp with offset',
    json: 'an object or array',
    list: 'a list of strings',
  };
  return names[type] ?? type;
}
