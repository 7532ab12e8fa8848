import { describe, expect, it } from 'vitest';
import { planSummary } from './plan';

const change = (action: 'CREATE' | 'UPDATE' | 'DELETE', kind: string) => ({ action, kind, name: 'x', fields: [], usedBy: [] });

describe('planSummary', () => {
  it('counts the plan by action, then kind, in words', () => {
    const changes = [
      change('DELETE', 'Client'),
      change('CREATE', 'API'),
      ...Array.from({ length: 1250 }, () => change('CREATE', 'Scope')),
      change('UPDATE', 'Organisation'),
      change('CREATE', 'API'),
    ];
    expect(planSummary(changes)).toBe('Add 2 APIs, 1,250 scopes. Change 1 organisation setting. Delete 1 client.');
  });
  it('is empty for no changes', () => {
    expect(planSummary([])).toBe('');
  });
});
