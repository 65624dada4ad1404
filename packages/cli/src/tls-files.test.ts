import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "./load-config.js";
import { readTlsFiles, resolveTlsFiles } from "./tls-files.js";

const withTls = parseConfig(
  { providers: [{ type: "mock" }], server: { tls: { cert: "certs/cert.pem", key: "/etc/ssl/key.pem" } } },
  {},
);
const withoutTls = parseConfig({ providers: [{ type: "mock" }] }, {});

describe("resolveTlsFiles", () => {
  it("reads server.tls relative to the config file's directory", () => {
    expect(resolveTlsFiles(withTls, "/srv/gateway/switchyard.json", {})).toEqual({
      cert: "/srv/gateway/certs/cert.pem",
      key: "/etc/ssl/key.pem",
    });
    expect(resolveTlsFiles(withoutTls, "/srv/gateway/switchyard.json", {})).toBeUndefined();
  });

  it("lets --tls-cert/--tls-key (relative to the working directory) win, and wants both", () => {
    expect(
      resolveTlsFiles(withTls, "/srv/gateway/switchyard.json", { tlsCert: "a.pem", tlsKey: "b.pem" }),
    ).toEqual({
      cert: resolve("a.pem"),
      key: resolve("b.pem"),
    });
    expect(() => resolveTlsFiles(withoutTls, undefined, { tlsCert: "a.pem" })).toThrow(/give both/);
  });
});

describe("readTlsFiles", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "switchyard-tls-files-"));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("names the file it cannot read or parse, never its content", async () => {
    const cert = join(directory, "cert.pem");
    const key = join(directory, "key.pem");
    await expect(readTlsFiles({ cert, key })).rejects.toThrow(
      `TLS certificate ${cert}: cannot read (no such file).`,
    );
    await writeFile(cert, "secret-looking garbage");
    await writeFile(key, "-----BEGIN PRIVATE KEY-----");
    const error = await readTlsFiles({ cert, key }).catch((failure: Error) => failure);
    expect((error as Error).message).toBe(`TLS certificate ${cert}: not a PEM certificate.`);
  });
});
