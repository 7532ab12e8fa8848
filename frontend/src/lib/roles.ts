import type { Role } from '../gql/graphql';

export const roleLabels: Record<Role, string> = {
  OWNER: 'Owner',
  ACCESS_CONTROL: 'Access control',
  VIEWER: 'Viewer',
  MEMBER: 'Member',
};

/** May change APIs, scopes, endpoints, clients, scope assignments and every API key. */
export const canManage = (role: Role | undefined) => role === 'OWNER' || role === 'ACCESS_CONTROL';
/** May read the admin pages. */
export const canReadAdmin = (role: Role | undefined) => canManage(role) || role === 'VIEWER';
/** May change organisation settings and users. */
export const isOwner = (role: Role | undefined) => role === 'OWNER';
/** May create API keys (their own). */
export const canCreateKeys = (role: Role | undefined) => role !== 'VIEWER' && role !== undefined;

export function manageReason(role: Role | undefined): string {
  if (role === 'VIEWER') return 'Viewers can read everything but change nothing.';
  if (role === 'MEMBER') return 'Members have no admin access.';
  return 'Only owners and access-control admins can change this.';
}

export const ownerReason = 'Only owners can change organisation settings and users.';

/** The naming policy's guideline as help text, with its valid example (added unless already quoted). */
export function namingHelp(guideline: string, example: string): string {
  const t = guideline.trim();
  const g = (t.charAt(0).toUpperCase() + t.slice(1)).replace(/\.?$/, '.');
  return g.includes(example) ? g : `${g} Example: ${example}`;
}
