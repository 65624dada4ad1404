/**
 * Whether any plugin tapped a hook. Not `hook.isUsed()`: that is also true for a hook with only
 * interceptors (telemetry), which must not switch off the fast paths that skip untapped hooks.
 */
export function tapped(hook: { readonly taps: readonly unknown[] }): boolean {
  return hook.taps.length > 0;
}
