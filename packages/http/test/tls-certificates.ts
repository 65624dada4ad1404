import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A self-signed certificate for 127.0.0.1 and localhost, and its key (PEM). */
export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as `tls` reports it (`AA:BB:...`). */
  readonly fingerprint256: string;
}

/**
 * Makes a fresh self-signed P-256 certificate with `openssl` (Node's crypto cannot issue X.509
 * certificates). Test-only: nothing here is a secret. Throws, rather than skipping, when openssl is
 * missing, so a machine without it fails loudly instead of passing silently.
 */
export function createTestCertificate(commonName = "switchyard-test"): TestCertificate {
  const directory = mkdtempSync(join(tmpdir(), "switchyard-cert-"));
  try {
    const certFile = join(directory, "cert.pem");
    const keyFile = join(directory, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "2",
        "-subj",
        `/CN=${commonName}`,
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ],
      { stdio: "ignore", timeout: 20_000 },
    );
    const cert = readFileSync(certFile, "utf8");
    return {
      cert,
      key: readFileSync(keyFile, "utf8"),
      fingerprint256: new X509Certificate(cert).fingerprint256,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
