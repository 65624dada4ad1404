import { listen } from "@switchyard/http/node";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { createExternalAuthPlugin, createPiiRedactionPlugin } from "../src/index.js";
import { startHarness, startPolicyService } from "./helpers.js";

// What users get: the official SDK against the gateway on node:http, guardrails on.
describe("guardrails seen through the official openai SDK", () => {
  it("streams an answer with its PII redacted across chunk boundaries, and maps a refusal to AuthenticationError", async () => {
    const service = await startPolicyService((call, response) => {
      const allowed = call.body.headers.authorization === "Bearer good-key";
      response.writeHead(allowed ? 200 : 401, { "content-type": "application/json" });
      response.end(JSON.stringify(allowed ? { id: "sdk-user" } : { reason: "Unknown key." }));
    });
    const { gateway } = await startHarness(
      [createExternalAuthPlugin({ url: service.url, timeoutMs: 3_000 }), createPiiRedactionPlugin()],
      {
        upstream: {
          reply: () => "Reach Ana at ana.silva@example.org or +351 21 123 4567; card 4111-1111-1111-1111.",
          chunkTokens: 1,
        },
      },
    );
    const server = await listen(gateway, { port: 0, graceMs: 0 });
    try {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "good-key", maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: "mock-1",
        messages: [{ role: "user", content: "Contact for Ana?" }],
        stream: true,
      });
      let text = "";
      let finish: string | null = null;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        for (const choice of chunk.choices) {
          text += choice.delta.content ?? "";
          finish = choice.finish_reason ?? finish;
        }
      }
      expect(text).toBe("Reach Ana at [REDACTED:email] or [REDACTED:phone]; card [REDACTED:card].");
      expect(finish).toBe("stop");
      expect(chunks).toBeGreaterThan(10);

      const stranger = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "bad-key", maxRetries: 0 });
      const refused = stranger.chat.completions.create({
        model: "mock-1",
        messages: [{ role: "user", content: "hi" }],
      });
      await expect(refused).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expect(refused).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    } finally {
      await server.close();
    }
  });
});
