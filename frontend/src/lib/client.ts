import { Client, cacheExchange, fetchExchange, mapExchange, type OperationResult } from 'urql';
import { isUnauthenticated } from './errors';

/** Sends the browser to the sign-in page, coming back here afterwards. */
export function redirectToLogin() {
  const { pathname, search } = window.location;
  if (pathname === '/login') return;
  const next = encodeURIComponent(pathname + search);
  window.location.assign(`/login?next=${next}`);
}

export function makeClient(url = '/graphql') {
  return new Client({
    url,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: { credentials: 'same-origin', headers: { Accept: 'application/graphql-response+json, application/json' } },
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) redirectToLogin();
        },
        onResult: keepDataOnNetworkError(),
      }),
      fetchExchange,
    ],
  });
}

/**
 * A query that fails for want of a network (e.g. re-run after a mutation while offline) keeps the data it
 * last had, with the error beside it, so the console and any open form stay as they were instead of
 * being replaced by an error page. Remembers the last data of at most `max` queries.
 */
export function keepDataOnNetworkError(max = 200) {
  const last = new Map<string, unknown>();
  return (result: OperationResult): OperationResult => {
    if (result.operation.kind !== 'query') return result;
    const key = String(result.operation.key);
    if (result.data !== undefined && result.data !== null) {
      last.delete(key);
      last.set(key, result.data);
      if (last.size > max) last.delete(last.keys().next().value!);
      return result;
    }
    if (result.error?.networkError && last.has(key)) return { ...result, data: last.get(key), stale: true };
    return result;
  };
}
