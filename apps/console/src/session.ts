const KEY = 'adloom.apiKey';

/**
 * The API key lives in sessionStorage only: it stays with this tab and is forgotten when the tab
 * closes; it is never written to localStorage, a cookie or a URL.
 */
export const session = {
  key(): string | null {
    return sessionStorage.getItem(KEY);
  },
  signIn(key: string): void {
    sessionStorage.setItem(KEY, key);
  },
  signOut(): void {
    sessionStorage.removeItem(KEY);
  },
};
