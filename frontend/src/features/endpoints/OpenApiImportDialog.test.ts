import { describe, expect, it } from 'vitest';
import { planSummary } from './OpenApiImportDialog';

const ep = (action: 'ADD' | 'KEEP' | 'REMOVE', addScopes: string[] = []) => ({ action, method: 'GET' as const, path: '/x', scopes: addScopes, addScopes });
const scope = (action: 'ADD' | 'KEEP' | 'REMOVE') => ({ action, name: 's', proposed: false });

describe('planSummary', () => {
  it('counts what applying adds: endpoints, scopes and links to kept endpoints, never removals', () => {
    const plan = { applied: false, notes: [], endpoints: [ep('ADD', ['a']), ep('ADD'), ep('KEEP', ['a', 'b']), ep('REMOVE')], scopes: [scope('ADD'), scope('KEEP'), scope('REMOVE')] };
    expect(planSummary(plan)).toEqual({ changes: 5, text: '2 endpoints, 1 scope, 2 scope links' });
  });
  it('says nothing is added when everything is kept', () => {
    const plan = { applied: false, notes: [], endpoints: [ep('KEEP'), ep('REMOVE')], scopes: [scope('KEEP')] };
    expect(planSummary(plan)).toEqual({ changes: 0, text: 'nothing' });
  });
});
