/**
 * A mount prefix in its one canonical form: `""` for the root, otherwise `/segment[/segment...]` with no
 * trailing slash (`"llm/"`, `"/llm/"` and `"/llm"` are all `"/llm"`).
 */
export function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/**
 * The request target below `prefix` (query string kept), or the whole target when it is not under the
 * prefix: the gateway then answers its own 404. `/llmx` is not under `/llm`; `/llm` is, as `/`.
 */
export function pathBelow(prefix: string, target: string): string {
  if (prefix === "" || !target.startsWith(prefix)) return target;
  const rest = target.slice(prefix.length);
  if (rest === "") return "/";
  if (rest.startsWith("/")) return rest;
  if (rest.startsWith("?")) return `/${rest}`;
  return target;
}
