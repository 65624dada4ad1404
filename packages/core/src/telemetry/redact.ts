const REDACTED = "[redacted]";

// Credentials after an auth scheme, key-shaped tokens (sk-..., gk_..., api_key-...), and any long opaque
// run of key characters (hex or base64 keys, JWT parts, Google's AIza... keys).
const PATTERNS: readonly RegExp[] = [
  /\b(Bearer|Basic|Token)\s+[\w.~+/=-]+/gi,
  /\b(?:sk|pk|rk|gk|key|api[_-]?key)[-_][\w-]{6,}/gi,
  /[\w+/=-]{32,}/g,
];

/**
 * Masks what looks like a secret in free text (error messages from providers often quote part of the key
 * they refused) and caps its length. Used on every string the request log writes that the gateway did not
 * choose itself.
 */
export function redactSecrets(text: string, maxLength = 300): string {
  let result = text.length > maxLength * 2 ? text.slice(0, maxLength * 2) : text;
  for (const pattern of PATTERNS) {
    result = result.replace(pattern, (_match, scheme: unknown) =>
      typeof scheme === "string" && /^(bearer|basic|token)$/i.test(scheme)
        ? `${scheme} ${REDACTED}`
        : REDACTED,
    );
  }
  return result.length > maxLength ? `${result.slice(0, maxLength)}…` : result;
}
