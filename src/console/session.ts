/**
 * The signed-in session: the bearer token lives in sessionStorage (gone when the tab closes, never in
 * localStorage or a cookie, so no other tab or site can send it), with the role the server reported.
 */
const KEY = 'rpa-console-token';

export function savedToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
