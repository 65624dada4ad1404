/** A user of the app, signed in with the app's own session token. */
export interface AppUser {
  readonly id: string;
  readonly team: string;
}

/**
 * The app's users by session token. A real app has its sessions, cookies or SSO here; the gateway does not
 * care how the app decides who someone is, only that it decides before the request gets to `/llm`.
 */
export type AppUsers = ReadonlyMap<string, AppUser>;

/** Reads `id:team:token` triples, comma-separated (the `APP_USERS` variable). */
export function parseAppUsers(spec: string): AppUsers {
  const users = new Map<string, AppUser>();
  for (const entry of spec.split(",")) {
    const [id, team, token] = entry.split(":").map((part) => part.trim());
    if (id && team && token) users.set(token, { id, team });
  }
  return users;
}

/** Demo users for `pnpm start` without `APP_USERS`. */
export const DEMO_USERS = "alice:research:demo-token-alice,bob:support:demo-token-bob";
