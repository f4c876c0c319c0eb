/**
 * @module service/fit-options
 * Options shared by the `polso fit` commands, checked the same way whether they come from the CLI or the
 * admin API, with errors that name the command-line option.
 */
import { PolsoError } from '../errors.ts';

/** An optional whole-number option of `polso fit` (from the CLI or the admin API). */
export function intOption(input: Record<string, unknown>, name: string, option: string): number | undefined {
  const v = input[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new PolsoError('POLSO_BAD_OPTION', `--${option}: a whole number (got ${JSON.stringify(v)})`);
  return v;
}

/** A project id option of `polso fit`. */
export function projectOption(input: Record<string, unknown>): string {
  if (typeof input.projectId !== 'string' || input.projectId === '')
    throw new PolsoError('POLSO_BAD_OPTION', '--project: required');
  return input.projectId;
}
