import { SwitchyardError } from "@switchyard/core";
import { describe, expect, it } from "vitest";
import { StreamRecorder } from "./stream-recorder.js";

const bytes = (text: string) => Buffer.from(text);

async function readAll(iterator: AsyncIterable<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of iterator) text += Buffer.from(chunk).toString();
  return text;
}

describe("StreamRecorder", () => {
  it("gives a follower every chunk, those before it joined and those after, then ends", async () => {
    const recorder = new StreamRecorder(1_000);
    recorder.append(bytes("a"));
    const early = readAll(recorder.follow(new AbortController().signal));
    recorder.append(bytes("b"));
    const late = readAll(recorder.follow(new AbortController().signal));
    recorder.append(bytes("c"));
    recorder.finish({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }, 0.5);
    expect(await early).toBe("abc");
    expect(await late).toBe("abc");
    expect(recorder.bytes()?.toString()).toBe("abc");
    expect(recorder.cost).toBe(0.5);
  });

  it("hands the leader's failure to followers after what came before", async () => {
    const recorder = new StreamRecorder(1_000);
    const follower = recorder.follow(new AbortController().signal);
    recorder.append(bytes("a"));
    const failure = new SwitchyardError("SWY_ERR_UPSTREAM_SERVER", "boom");
    recorder.fail(failure);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of follower) seen.push(Buffer.from(chunk).toString());
      })(),
    ).rejects.toBe(failure);
    expect(seen).toEqual(["a"]);
  });

  it("stops a follower whose client left without disturbing the others", async () => {
    const recorder = new StreamRecorder(1_000);
    const leaving = new AbortController();
    const left = recorder.follow(leaving.signal);
    const staying = readAll(recorder.follow(new AbortController().signal));
    recorder.append(bytes("a"));
    expect(Buffer.from((await left.next()).value as Uint8Array).toString()).toBe("a");
    const waiting = left.next();
    leaving.abort();
    expect((await waiting).done).toBe(true);
    recorder.append(bytes("b"));
    recorder.finish(undefined, undefined);
    expect(await staying).toBe("ab");
    expect(recorder.followers).toBe(0);
  });

  it("past its limit: keeps nothing for the cache, refuses joiners, cuts a follower that lags too far", async () => {
    const recorder = new StreamRecorder(10, 20);
    const slow = recorder.follow(new AbortController().signal);
    recorder.append(bytes("x"));
    const first = await slow.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe("x");
    // The reader above stops reading; the stream goes on past the limit.
    for (let index = 0; index < 30; index++) recorder.append(bytes("y"));
    expect(recorder.overflowed).toBe(true);
    expect(recorder.joinable).toBe(false);
    expect(recorder.bytes()).toBeUndefined();
    await expect(slow.next()).rejects.toMatchObject({ code: "SWY_ERR_UPSTREAM_STREAM_CUT" });
  });
});
