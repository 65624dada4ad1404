/**
 * The files of the throwaway app the install test writes outside the workspace. It uses the packages the
 * way a team outside this repository would: from npm, through their public entry points only.
 */

/** The OpenAI model the app's OpenAI provider serves (answered by the mock upstream). */
export const OPENAI_MODEL = "gpt-4.1-mini";
/** The embedded mock provider's model. */
export const MOCK_MODEL = "mock-1";
/** Requests the app's limiter allows per model (a bucket that refills over an hour). */
export const REQUESTS_PER_MODEL = 2;

/** The app's `package.json`; `npm install` adds the dependencies. */
export const appManifest = {
  name: "switchyard-install-test-app",
  version: "1.0.0",
  private: true,
  type: "module",
};

/** Strict, NodeNext, and `skipLibCheck: false`, so every shipped declaration file is type-checked too. */
export const appTsconfig = {
  compilerOptions: {
    target: "ES2023",
    lib: ["ES2023"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    types: ["node"],
    rootDir: "src",
    outDir: "dist",
  },
  include: ["src"],
};

/**
 * The server: Express with the gateway mounted on `/llm`, an OpenAI provider pointed at the mock upstream
 * (which requires its API key, so the provider must send it), the embedded mock provider, and a per-model
 * request limit. Prints `LISTENING <base URL>` once it accepts connections; closes on SIGTERM.
 */
export const serverSource = `import type { AddressInfo } from "node:net";
import { createGateway, type Gateway } from "@switchyard/core";
import { createExpressMiddleware } from "@switchyard/http/express";
import { createRateLimitPlugin } from "@switchyard/limiter";
import { createMockProvider, createMockUpstream } from "@switchyard/provider-mock";
import { createOpenAIProvider } from "@switchyard/provider-openai";
import express from "express";

const upstream = await createMockUpstream({ apiKey: "sk-upstream-key" });
const gateway: Gateway = createGateway({
  providers: [
    createOpenAIProvider({ apiKey: "sk-upstream-key", baseURL: \`\${upstream.url}/v1\`, models: ["${OPENAI_MODEL}"] }),
    createMockProvider(),
  ],
  plugins: [
    // A token bucket refilling over an hour: no window boundary can let a third request through mid-test.
    createRateLimitPlugin({
      limits: [{ name: "per-model", limit: ${REQUESTS_PER_MODEL}, per: "hour", algorithm: "token-bucket", key: "model" }],
    }),
  ],
});

const app = express();
app.get("/health", (_request, response) => {
  response.json({ ok: true });
});
app.use("/llm", createExpressMiddleware(gateway));

const server = app.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(\`LISTENING http://127.0.0.1:\${port}/llm/v1\`);
});

process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  void Promise.all([gateway.close({ graceMs: 0 }), upstream.close()]).then(() => process.exit(0));
});
`;

/**
 * The client: the official \`openai\` SDK against the app, a plain answer from the OpenAI provider, a stream
 * from the mock provider, then requests past the limit. Prints one JSON line with what it got.
 */
export const clientSource = `import OpenAI, { APIError } from "openai";

const baseURL = process.argv[2];
if (baseURL === undefined) throw new Error("usage: node dist/client.js <base URL>");
const client = new OpenAI({ apiKey: "sk-client", baseURL, maxRetries: 0 });
const messages = [{ role: "user" as const, content: "Which platform for the night train?" }];

const plain = await client.chat.completions.create({ model: "${OPENAI_MODEL}", messages });

const stream = await client.chat.completions.create({
  model: "${MOCK_MODEL}",
  messages,
  stream: true,
  stream_options: { include_usage: true },
});
let streamedText = "";
let chunks = 0;
let streamedUsage: number | undefined;
let streamedModel: string | undefined;
for await (const chunk of stream) {
  chunks += 1;
  streamedModel = chunk.model;
  streamedText += chunk.choices[0]?.delta.content ?? "";
  if (chunk.usage) streamedUsage = chunk.usage.total_tokens;
}

// The limit is per model: the OpenAI model has used 1 of its ${REQUESTS_PER_MODEL}, so one more passes and the next is refused.
const statuses: number[] = [];
for (let attempt = 0; attempt < 2; attempt += 1) {
  try {
    await client.chat.completions.create({ model: "${OPENAI_MODEL}", messages });
    statuses.push(200);
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    statuses.push(error.status ?? 0);
  }
}

console.log(
  JSON.stringify({
    plain: { model: plain.model, content: plain.choices[0]?.message.content, usage: plain.usage?.total_tokens },
    stream: { model: streamedModel, text: streamedText, chunks, usage: streamedUsage },
    statuses,
  }),
);
`;

/**
 * A module importing every export subpath of every installed package, so \`tsc\` checks each entry point's
 * declarations and \`node\` loads each one. Prints `{ "<specifier>": <number of exports> }`.
 */
export function everyExportSource(specifiers: readonly string[]): string {
  const imports = specifiers.map((specifier, index) => `import * as module${index} from "${specifier}";`);
  const entries = specifiers.map(
    (specifier, index) => `  ${JSON.stringify(specifier)}: Object.keys(module${index}).length,`,
  );
  return `${imports.join("\n")}\n\nconsole.log(JSON.stringify({\n${entries.join("\n")}\n}));\n`;
}
