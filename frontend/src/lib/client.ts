import { Client, cacheExchange, fetchExchange, mapExchange } from 'urql';
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
      }),
      fetchExchange,
    ],
  });
}
