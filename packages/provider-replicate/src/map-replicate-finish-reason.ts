/**
 * Replicate reports no finish reason: a prediction succeeds or it does not. A language model that stopped
 * because it reached its token limit produced exactly that many tokens, so `length` is inferred when the
 * reported output token count reaches the limit sent; otherwise `stop`. Without a reported count (the
 * model gives no metrics) the answer is `stop`: an estimate is too coarse to claim a cut.
 */
export function mapReplicateFinishReason(
  outputTokens: number | undefined,
  maxTokens: unknown,
): "stop" | "length" {
  if (outputTokens === undefined || typeof maxTokens !== "number") return "stop";
  return outputTokens >= maxTokens ? "length" : "stop";
}
