import type {
  CanonicalRequest,
  ChatCompletionRequest,
  Endpoint,
  Provider,
  ProviderCall,
} from "@switchyard/core";
import { describe, expect, it } from "vitest";
import {
  convertToReplicateInput,
  type ReplicateInputSettings,
  renderLlama3Prompt,
  renderTranscriptPrompt,
} from "./convert-to-replicate-input.js";
import { createReplicateProvider } from "./replicate-provider.js";

const callOf = (
  provider: Provider,
  model: string,
  operation: ProviderCall["operation"] = "chat",
): ProviderCall => ({
  operation,
  model,
  endpoint: provider.endpoints[0] as Endpoint,
  context: {} as ProviderCall["context"],
  signal: new AbortController().signal,
});

const defaults: ReplicateInputSettings = {
  template: renderTranscriptPrompt,
  maxTokensInput: "max_tokens",
  stopInput: "stop_sequences",
  imageInput: null,
  input: {},
};

const chat = (body: Partial<ChatCompletionRequest>): ChatCompletionRequest => ({
  model: "meta/meta-llama-3-70b-instruct",
  messages: [{ role: "user", content: "When does the night train leave?" }],
  ...body,
});

describe("the create request", () => {
  const provider = createReplicateProvider({ apiToken: "r8_test" });

  it("posts an official model's prediction with the mapped input, exactly", () => {
    const request: CanonicalRequest = chat({
      messages: [
        { role: "system", content: "You are a helpful travel assistant." },
        { role: "user", content: "When does the night train to Trondheim leave?" },
      ],
      max_tokens: 512,
      temperature: 0.6,
      top_p: 0.9,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      seed: 7,
      stop: ["<end>", "###"],
      stream: true,
      stream_options: { include_usage: true },
      user: "user-42",
      metadata: { team: "rail" },
    });
    expect(provider.buildRequest(request, callOf(provider, "meta/meta-llama-3-70b-instruct"))).toEqual({
      method: "POST",
      path: "/models/meta/meta-llama-3-70b-instruct/predictions",
      headers: {},
      body: JSON.stringify({
        input: {
          prompt: "When does the night train to Trondheim leave?",
          system_prompt: "You are a helpful travel assistant.",
          max_tokens: 512,
          temperature: 0.6,
          top_p: 0.9,
          presence_penalty: 0.1,
          frequency_penalty: 0.2,
          seed: 7,
          stop_sequences: "<end>,###",
        },
      }),
    });
    expect(provider.endpoints[0]).toMatchObject({
      origin: "https://api.replicate.com",
      basePath: "/v1",
      headers: { authorization: "Bearer r8_test" },
    });
  });

  it("posts a model version to /predictions with its version id", () => {
    const version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";
    const built = provider.buildRequest(
      chat({ max_completion_tokens: 64 }),
      callOf(provider, `acme/chat-7b:${version}`),
    );
    expect(built.path).toBe("/predictions");
    expect(JSON.parse(built.body ?? "")).toEqual({
      version,
      input: { prompt: "When does the night train leave?", max_tokens: 64 },
    });
  });

  it("sends a Cancel-After deadline when configured", () => {
    const timed = createReplicateProvider({ apiToken: "r8", cancelAfter: "2m30s" });
    expect(timed.buildRequest(chat({}), callOf(timed, "meta/meta-llama-3-8b-instruct")).headers).toEqual({
      "cancel-after": "2m30s",
    });
  });

  it("applies per-model input names, fixed inputs and templates", () => {
    const custom = createReplicateProvider({
      apiToken: "r8",
      models: [
        {
          id: "acme/old-chat",
          maxTokensInput: "max_new_tokens",
          stopInput: null,
          input: { top_k: 50, temperature: 1 },
        },
        { id: "meta/meta-llama-3-70b-instruct", template: renderLlama3Prompt },
        { id: "yorickvp/llava-13b", imageInput: "image" },
      ],
    });
    const old = JSON.parse(
      custom.buildRequest(chat({ max_tokens: 10, temperature: 0.3 }), callOf(custom, "acme/old-chat")).body ??
        "",
    );
    expect(old.input).toEqual({
      top_k: 50,
      temperature: 0.3,
      prompt: "When does the night train leave?",
      max_new_tokens: 10,
    });
    const llama = JSON.parse(
      custom.buildRequest(chat({}), callOf(custom, "meta/meta-llama-3-70b-instruct")).body ?? "",
    );
    expect(llama.input.prompt_template).toBe("{prompt}");
    const vision = JSON.parse(
      custom.buildRequest(
        chat({
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "What is this?" },
                { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
              ],
            },
          ],
        }),
        callOf(custom, "yorickvp/llava-13b"),
      ).body ?? "",
    );
    expect(vision.input).toEqual({ prompt: "What is this?", image: "data:image/png;base64,iVBORw0KGgo=" });
    expect(() => custom.buildRequest(chat({ stop: "x" }), callOf(custom, "acme/old-chat"))).toThrow(
      /no stop sequences/,
    );
  });

  it("refuses embeddings and ids that are not Replicate models", () => {
    expect(() =>
      provider.buildRequest({ model: "x/y", input: "hi" }, callOf(provider, "x/y", "embeddings")),
    ).toThrow(expect.objectContaining({ code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED" }));
    expect(() => provider.buildRequest(chat({}), callOf(provider, "llama3"))).toThrow(
      expect.objectContaining({ code: "SWY_ERR_ROUTE_MODEL_NOT_FOUND", param: "model" }),
    );
  });
});

describe("prompt templates", () => {
  const turns = [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Where does the night train go?" },
    { role: "assistant", content: "North, to Trondheim." },
    { role: "user", content: "When does it leave?" },
  ] as const;

  it("renders a conversation as a transcript, system messages apart", () => {
    expect(renderTranscriptPrompt(turns, "m")).toEqual({
      prompt:
        "User: Where does the night train go?\n\nAssistant: North, to Trondheim.\n\nUser: When does it leave?",
      system_prompt: "Be brief.",
    });
    expect(renderTranscriptPrompt([{ role: "user", content: "Hi" }], "m")).toEqual({ prompt: "Hi" });
  });

  it("renders Llama 3's own chat format and turns the model's template off", () => {
    expect(renderLlama3Prompt(turns, "m")).toEqual({
      prompt:
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nWhere does the night train go?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\nNorth, to Trondheim.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nWhen does it leave?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
      prompt_template: "{prompt}",
    });
  });

  it("gives a custom template plain text turns, developer messages as system", () => {
    const seen: unknown[] = [];
    convertToReplicateInput(
      chat({
        messages: [
          { role: "developer", content: [{ type: "text", text: "Rule one." }] },
          {
            role: "user",
            content: [
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
          { role: "assistant", content: null },
        ],
      }),
      "m/x",
      {
        ...defaults,
        template: (given, model) => {
          seen.push(given, model);
          return { prompt: "p" };
        },
      },
      "replicate",
    );
    expect(seen).toEqual([
      [
        { role: "system", content: "Rule one." },
        { role: "user", content: "a\nb" },
        { role: "assistant", content: "" },
      ],
      "m/x",
    ]);
  });
});

describe("what Replicate models cannot honour is refused, not dropped", () => {
  const refusals: Array<[string, Partial<ChatCompletionRequest>, string]> = [
    ["tools", { tools: [{ type: "function", function: { name: "f" } }] }, "tools"],
    ["a forced tool choice", { tool_choice: "required" }, "tool_choice"],
    ["JSON mode", { response_format: { type: "json_object" } }, "response_format"],
    [
      "a JSON schema",
      { response_format: { type: "json_schema", json_schema: { name: "a", strict: true, schema: {} } } },
      "response_format",
    ],
    ["several choices", { n: 2 }, "n"],
    ["log probabilities", { logprobs: true } as Partial<ChatCompletionRequest>, "logprobs"],
    ["logit bias", { logit_bias: { "1": 5 } } as Partial<ChatCompletionRequest>, "logit_bias"],
    ["audio output", { modalities: ["text", "audio"] } as Partial<ChatCompletionRequest>, "modalities"],
    ["a stop sequence with a comma", { stop: ["a,b"] }, "stop"],
    [
      "an unknown OpenAI field",
      { reasoning_effort: "high" } as Partial<ChatCompletionRequest>,
      "reasoning_effort",
    ],
    [
      "an image for a model without image input",
      {
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "https://x.example/a.png" } }] },
        ],
      },
      "messages",
    ],
    [
      "a tool result message",
      { messages: [{ role: "tool", content: "42", tool_call_id: "call_1" }] },
      "messages[0]",
    ],
    [
      "audio input",
      {
        messages: [
          { role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] },
        ],
      },
      "messages[0].content",
    ],
  ];
  for (const [what, body, param] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => convertToReplicateInput(chat(body), "m/x", defaults, "replicate")).toThrow(
        expect.objectContaining({ code: "SWY_ERR_ROUTE_OPERATION_UNSUPPORTED", param }),
      );
    });
  }

  it("accepts tool_choice none and a text response format", () => {
    expect(
      convertToReplicateInput(
        chat({ tool_choice: "none", response_format: { type: "text" }, n: 1 }),
        "m/x",
        defaults,
        "r",
      ),
    ).toEqual({ prompt: "When does the night train leave?" });
  });
});
