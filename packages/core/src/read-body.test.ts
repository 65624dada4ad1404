import { describe, expect, it } from "vitest";
import type { SwitchyardError } from "./errors.js";
import { readJsonBody } from "./read-body.js";

const signal = new AbortController().signal;
const requestWith = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  path: "/v1/chat/completions",
  headers: { "content-type": "application/json", ...headers },
  body: body as never,
  signal,
});

async function failure(promise: Promise<unknown>): Promise<SwitchyardError> {
  return promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: SwitchyardError) => error,
  );
}

describe("readJsonBody", () => {
  it("parses a streamed body split in chunks, multi-byte characters included", async () => {
    const bytes = new TextEncoder().encode('{"text":"héllo 😀"}');
    async function* chunks() {
      for (const byte of bytes) yield new Uint8Array([byte]);
    }
    expect(await readJsonBody(requestWith(chunks()), 1_000)).toEqual({ text: "héllo 😀" });
  });

  it("stops reading a stream as soon as it passes the limit", async () => {
    let pulled = 0;
    async function* chunks() {
      for (let index = 0; index < 100; index++) {
        pulled++;
        yield new Uint8Array(100);
      }
    }
    const error = await failure(readJsonBody(requestWith(chunks()), 250));
    expect(error.code).toBe("SWY_ERR_HTTP_BODY_TOO_LARGE");
    expect(pulled).toBe(3);
  });

  it("refuses by content-length before reading anything", async () => {
    async function* never(): AsyncGenerator<Uint8Array> {
      yield* [];
      throw new Error("must not be read");
    }
    const error = await failure(readJsonBody(requestWith(never(), { "content-length": "5000" }), 1_000));
    expect(error.code).toBe("SWY_ERR_HTTP_BODY_TOO_LARGE");
  });

  it("takes a body a framework already parsed", async () => {
    expect(await readJsonBody(requestWith({ parsed: { a: 1 } }), 10)).toEqual({ a: 1 });
  });

  it.each([
    ["invalid JSON", "{nope", "SWY_ERR_HTTP_INVALID_JSON"],
    ["an empty body", "", "SWY_ERR_HTTP_INVALID_JSON"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "SWY_ERR_HTTP_INVALID_JSON"],
  ])("refuses %s", async (_name, body, code) => {
    expect((await failure(readJsonBody(requestWith(body), 1_000))).code).toBe(code);
  });

  it("refuses a declared non-JSON content type but accepts +json and a missing one", async () => {
    const error = await failure(readJsonBody(requestWith("{}", { "content-type": "text/plain" }), 100));
    expect(error.code).toBe("SWY_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE");
    expect(
      await readJsonBody(requestWith("{}", { "content-type": "application/vnd.api+json" }), 100),
    ).toEqual({});
    const bare = { ...requestWith("{}"), headers: {} };
    expect(await readJsonBody(bare, 100)).toEqual({});
  });
});
