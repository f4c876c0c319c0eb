/**
 * @module auth/users
 * Dashboard users of a project: validated, stored with a scrypt hash of their password. Shared by the
 * `polso user add` command (on a store it opened) and the local admin API of a running server.
 */
import { randomBytes } from 'node:crypto';
import { PolsoError } from '../errors.ts';
import { type DashboardUser, ROLES, type Role, type Store } from '../store/store.ts';
import { hashPassword } from './passwords.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;
const MIN_PASSWORD = 10;

/** A user as created, with the password when Polso generated it (shown once). */
export interface CreatedUser extends DashboardUser {
  password?: string;
}

/**
 * Adds a dashboard user; without a password, a random one is generated and returned.
 * @example await addUser(store, { projectId, email: 'anna@example.it', role: 'viewer' })
 */
export async function addUser(store: Store, input: Record<string, unknown>): Promise<CreatedUser> {
  const { projectId, email, role } = input;
  if (typeof projectId !== 'string' || !(await store.getProject(projectId)))
    throw new PolsoError('POLSO_BAD_USER', `projectId: no project ${JSON.stringify(projectId)}`);
  if (typeof email !== 'string' || !EMAIL.test(email))
    throw new PolsoError('POLSO_BAD_USER', 'email: an e-mail address');
  if (!ROLES.includes(role as Role))
    throw new PolsoError('POLSO_BAD_USER', `role: one of ${ROLES.join(', ')}`);
  const generated = input.password === undefined ? randomBytes(15).toString('base64url') : undefined;
  const password = generated ?? input.password;
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > 1000)
    throw new PolsoError('POLSO_BAD_USER', `password: ${MIN_PASSWORD}–1000 characters`);
  const user = await store.addUser(
    projectId,
    email.toLowerCase(),
    role as Role,
    await hashPassword(password),
  );
  return generated ? { ...user, password: generated } : user;
}
