import { describe, expect, it } from 'vitest';
import { CombinedError, createRequest, makeOperation, type OperationResult } from 'urql';
import { keepDataOnNetworkError } from './client';

const query = createRequest('query Q { a }', {});
const op = makeOperation('query', query, { url: '/graphql', requestPolicy: 'network-only' });
const mutation = makeOperation('mutation', createRequest('mutation M { b }', {}), op.context);
const ok = (data: unknown): OperationResult => ({ operation: op, data, stale: false, hasNext: false });
const offline = (o = op): OperationResult => ({ operation: o, error: new CombinedError({ networkError: new Error('Failed to fetch') }), stale: false, hasNext: false });

describe('keepDataOnNetworkError', () => {
  it('keeps a query’s last data, with the error, when the network fails', () => {
    const keep = keepDataOnNetworkError();
    keep(ok({ viewer: { id: '1' } }));
    const res = keep(offline());
    expect(res.data).toEqual({ viewer: { id: '1' } });
    expect(res.error?.networkError).toBeTruthy();
  });

  it('leaves GraphQL errors, first loads and mutations as they are', () => {
    const keep = keepDataOnNetworkError();
    expect(keep(offline()).data).toBeUndefined();
    keep(ok({ viewer: { id: '1' } }));
    const gqlError: OperationResult = { operation: op, error: new CombinedError({ graphQLErrors: ['no'] }), stale: false, hasNext: false };
    expect(keep(gqlError).data).toBeUndefined();
    expect(keep(offline(mutation)).data).toBeUndefined();
  });

  it('remembers at most max queries', () => {
    const keep = keepDataOnNetworkError(1);
    keep(ok({ viewer: { id: '1' } }));
    const other = makeOperation('query', createRequest('query R { c }', {}), op.context);
    keep({ operation: other, data: { c: 1 }, stale: false, hasNext: false });
    expect(keep(offline()).data).toBeUndefined();
  });
});
