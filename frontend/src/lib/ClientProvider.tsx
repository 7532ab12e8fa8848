import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { Provider, type Client } from 'urql';
import { makeClient } from './client';

const ResetContext = createContext<() => void>(() => undefined);

/** Provides the urql client; resetting it (sign-in, sign-out) drops everything cached for the last session. */
export function ClientProvider({ children, client: initial }: { children: ReactNode; client?: Client }) {
  const [client, setClient] = useState<Client>(() => initial ?? makeClient());
  const reset = useCallback(() => setClient(makeClient()), []);
  return (
    <ResetContext.Provider value={reset}>
      <Provider value={client}>{children}</Provider>
    </ResetContext.Provider>
  );
}

export const useResetClient = () => useContext(ResetContext);
