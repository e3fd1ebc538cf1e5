import { createContext, useContext } from 'react';
import type { AuthProblem } from './auth';

/** The caller, as `viewer { name role projects }` answers. */
export interface Viewer {
  name: string;
  role: 'VIEWER' | 'EDITOR' | 'ADMIN';
  projects: string[];
}

export interface AuthState {
  /** Who the kept token belongs to; null when anonymous (or not known yet). */
  viewer: Viewer | null;
  /** Why the server last turned a request down; while set, the sign-in panel is shown. */
  problem: AuthProblem | null;
  /** Checks a token with the server and keeps it; resolves to an error message, or null once signed in. */
  signIn: (token: string) => Promise<string | null>;
  /** Forgets the token; the pages load again without it. */
  signOut: () => void;
}

export const AuthContext = createContext<AuthState>({
  viewer: null,
  problem: null,
  signIn: async () => 'Signing in is not available here.',
  signOut: () => {},
});

export function useAuth(): AuthState {
  return useContext(AuthContext);
}
