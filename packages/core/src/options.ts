import type { z } from "zod";
import { SwitchyardError } from "./errors.js";

/**
 * Validates options once, at construction, and freezes the result. A failure names the option's path,
 * e.g. `gateway options: timeouts.connectMs: Too small: expected number to be >0`.
 */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  input: unknown,
  label: string,
): Readonly<z.infer<T>> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const details = result.error.issues
      .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
      .join("; ");
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `${label} options: ${details}`);
  }
  return Object.freeze(result.data);
}
