/** Matches model names against an allow-list of names and globs (`*` any run of characters, `?` one). */
export type ModelMatcher = (model: string) => boolean;

const cache = new Map<string, ModelMatcher>();
const CACHE_LIMIT = 1_000;

/**
 * Compiles an allow-list. Exact names are looked up in a Set; globs become one anchored RegExp. Matching
 * is case-sensitive, like model ids. Compiled lists are cached (keys are read per request, their lists
 * rarely change).
 */
export function compileModelPatterns(patterns: readonly string[]): ModelMatcher {
  const id = JSON.stringify(patterns);
  const cached = cache.get(id);
  if (cached !== undefined) return cached;
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const pattern of patterns) {
    if (pattern === "*") {
      const all: ModelMatcher = () => true;
      cache.set(id, all);
      return all;
    }
    if (/[*?]/.test(pattern)) {
      globs.push(
        pattern
          .split("")
          .map((character) =>
            character === "*"
              ? "[\\s\\S]*"
              : character === "?"
                ? "[\\s\\S]"
                : character.replace(/[.+^${}()|[\]\\/-]/g, "\\$&"),
          )
          .join(""),
      );
    } else exact.add(pattern);
  }
  const regexp = globs.length > 0 ? new RegExp(`^(?:${globs.join("|")})$`) : undefined;
  const matcher: ModelMatcher = (model) => exact.has(model) || (regexp?.test(model) ?? false);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(id, matcher);
  return matcher;
}
