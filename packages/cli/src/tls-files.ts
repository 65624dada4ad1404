import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { SwitchyardError } from "@switchyard/core";
import type { TlsCredentials } from "@switchyard/http/node";
import type { SwitchyardConfig } from "./config-schema.js";

/** Where the certificate and key are read from (absolute paths). */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** Credentials read from TlsFiles, with what the log line says about the certificate. */
export interface LoadedTls extends TlsCredentials {
  readonly fingerprint256: string;
  /** The certificate's `notAfter`, e.g. `Nov 24 23:10:02 2027 GMT`. */
  readonly validTo: string;
}

/**
 * The TLS files to serve with: `--tls-cert`/`--tls-key` (relative to the working directory) win over
 * `server.tls` (relative to the config file's directory); both or neither must be given.
 */
export function resolveTlsFiles(
  config: SwitchyardConfig,
  configFile: string | undefined,
  flags: { tlsCert?: string | undefined; tlsKey?: string | undefined },
): TlsFiles | undefined {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", "--tls-cert and --tls-key go together: give both.");
  }
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) {
    return { cert: resolve(flags.tlsCert), key: resolve(flags.tlsKey) };
  }
  const configured = config.server.tls;
  if (!configured) return undefined;
  const base = configFile ? dirname(resolve(configFile)) : process.cwd();
  return { cert: resolve(base, configured.cert), key: resolve(base, configured.key) };
}

/**
 * Reads the certificate chain and key. Fails with SWY_ERR_CONFIG_INVALID naming the file (never its
 * content) when one cannot be read or the certificate cannot be parsed.
 */
export async function readTlsFiles(files: TlsFiles): Promise<LoadedTls> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
      throw new SwitchyardError("SWY_ERR_CONFIG_INVALID", `TLS ${what} ${file}: cannot read (${reason}).`);
    }
  };
  const [cert, key] = await Promise.all([read(files.cert, "certificate"), read(files.key, "key")]);
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch {
    throw new SwitchyardError(
      "SWY_ERR_CONFIG_INVALID",
      `TLS certificate ${files.cert}: not a PEM certificate.`,
    );
  }
  return { cert, key, fingerprint256: parsed.fingerprint256, validTo: parsed.validTo };
}
