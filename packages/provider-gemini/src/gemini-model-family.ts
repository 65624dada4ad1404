/**
 * Whether a model id is Gemini 3 or later: those take `thinkingLevel` instead of a thinking budget and
 * refuse replayed function calls without a thought signature.
 */
export function isGemini3OrLater(model: string): boolean {
  const major = /^gemini-(\d+)/.exec(model)?.[1];
  return major !== undefined && Number(major) >= 3;
}
