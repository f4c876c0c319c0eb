/**
 * @module surveys/condition
 * Conditional follow-ups ("what could we do better?" only to detractors). Kept free of imports: the
 * server and the browser scripts (hosted page, widget) evaluate the same code.
 */

/** Shows a question only when an earlier answer fits: a score within [min, max], or one of `anyOf`. */
export interface Condition {
  readonly question: string;
  readonly min?: number;
  readonly max?: number;
  readonly anyOf?: readonly string[];
}

/**
 * Whether a question with condition `c` applies given the answers so far.
 * @example applies({ question: 'q1', max: 6 }, { q1: 4 }) // true
 */
export function applies(c: Condition | undefined, answers: Readonly<Record<string, unknown>>): boolean {
  if (!c) return true;
  const a = answers[c.question];
  if (a === undefined || a === null || a === '') return false;
  if (typeof a === 'number')
    return (c.min === undefined || a >= c.min) && (c.max === undefined || a <= c.max);
  const picked = Array.isArray(a) ? a : [a];
  return c.anyOf !== undefined && picked.some((p) => c.anyOf?.includes(p as string));
}
