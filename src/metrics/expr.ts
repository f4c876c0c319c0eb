/**
 * @module metrics/expr
 * A tiny expression language for metric definitions: columns, bound parameters, literals and the
 * operators the catalogue needs. Definitions stay engine-neutral data; each dialect compiles them.
 */

export type Expr =
  | { readonly kind: 'col'; readonly name: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'lit'; readonly value: number | string | boolean }
  | { readonly kind: 'op'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'all' | 'any'; readonly args: readonly Expr[] }
  | { readonly kind: 'not' | 'isNull' | 'notNull'; readonly arg: Expr }
  | { readonly kind: 'in'; readonly arg: Expr; readonly values: readonly Expr[] }
  | { readonly kind: 'coalesce'; readonly args: readonly Expr[] }
  | { readonly kind: 'secondsBetween'; readonly from: Expr; readonly to: Expr }
  | { readonly kind: 'case'; readonly when: readonly (readonly [Expr, Expr])[]; readonly else: Expr }
  | { readonly kind: 'addDays'; readonly arg: Expr; readonly days: Expr }
  | { readonly kind: 'now' }
  | { readonly kind: 'repeatContact'; readonly days: Expr }
  | { readonly kind: 'touchpoints'; readonly days: Expr }
  | { readonly kind: 'elapsed'; readonly from: Expr; readonly to: Expr }
  | { readonly kind: 'value' };

export type BinaryOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/';

/** A column of the metric's source table. */
export const col = (name: string): Expr => ({ kind: 'col', name });
/** A metric parameter, bound at query time. */
export const param = (name: string): Expr => ({ kind: 'param', name });
export const lit = (value: number | string | boolean): Expr => ({ kind: 'lit', value });
const bin =
  (op: BinaryOp) =>
  (left: Expr, right: Expr): Expr => ({ kind: 'op', op, left, right });
export const eq = bin('=');
export const ne = bin('<>');
export const lt = bin('<');
export const le = bin('<=');
export const gt = bin('>');
export const ge = bin('>=');
export const add = bin('+');
export const sub = bin('-');
export const mul = bin('*');
export const div = bin('/');
export const all = (...args: Expr[]): Expr => ({ kind: 'all', args });
export const any = (...args: Expr[]): Expr => ({ kind: 'any', args });
export const not = (arg: Expr): Expr => ({ kind: 'not', arg });
export const isNull = (arg: Expr): Expr => ({ kind: 'isNull', arg });
export const notNull = (arg: Expr): Expr => ({ kind: 'notNull', arg });
export const oneOf = (arg: Expr, values: (string | number)[]): Expr => ({
  kind: 'in',
  arg,
  values: values.map(lit),
});
export const coalesce = (...args: Expr[]): Expr => ({ kind: 'coalesce', args });
/** Seconds from `from` to `to` (timestamps). */
export const secondsBetween = (from: Expr, to: Expr): Expr => ({ kind: 'secondsBetween', from, to });
export const when = (cases: (readonly [Expr, Expr])[], otherwise: Expr): Expr => ({
  kind: 'case',
  when: cases,
  else: otherwise,
});
/** `arg` plus a number of days (a timestamp). */
export const addDays = (arg: Expr, days: Expr): Expr => ({ kind: 'addDays', arg, days });
/** The instant the query runs at (from the injected clock). */
export const now = (): Expr => ({ kind: 'now' });
/**
 * True when the same customer contacted again with the same reason within `days` after this contact
 * was created (the inferred-FCR test). Only meaningful on contacts.
 */
export const repeatContact = (days: Expr): Expr => ({ kind: 'repeatContact', days });
/**
 * The number of distinct touchpoints the customer of this record used in the `days` days before it:
 * contact channels, the website or app (product events), social platforms and sales channels of
 * earlier orders. Only meaningful on orders.
 */
export const touchpoints = (days: Expr): Expr => ({ kind: 'touchpoints', days });
/**
 * Seconds from `from` to `to` on the metric's clock: calendar time, or — when the metric's `clock`
 * parameter is `business` — only the project's opening hours (holidays excluded).
 */
export const elapsed = (from: Expr, to: Expr): Expr => ({ kind: 'elapsed', from, to });
/** The metric's own value (in a mean's `parts`): computed once per record, however often it is used. */
export const value = (): Expr => ({ kind: 'value' });
