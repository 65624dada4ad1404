import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** A packed package: its tarball and the `package.json` inside it. */
export interface PackedPackage {
  readonly tarballPath: string;
  readonly manifest: {
    readonly name: string;
    readonly version: string;
    readonly exports?: unknown;
    readonly bin?: unknown;
    readonly [field: string]: unknown;
  };
}

/** Reads `package/package.json` out of an npm tarball (gzip, then 512-byte ustar records). */
export function readPackedManifest(tarballPath: string): PackedPackage {
  const tar = gunzipSync(readFileSync(tarballPath));
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    if (name === "") break;
    const prefix = header.subarray(345, 500).toString("utf8").replace(/\0.*$/s, "");
    const size = Number.parseInt(header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim(), 8);
    const path = prefix ? `${prefix}/${name}` : name;
    if (path === "package/package.json") {
      const text = tar.subarray(offset + 512, offset + 512 + size).toString("utf8");
      return { tarballPath, manifest: JSON.parse(text) as PackedPackage["manifest"] };
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${tarballPath} has no package/package.json`);
}

/** A registry on 127.0.0.1 serving only the packed packages, as npm would find them once published. */
export interface LocalRegistry {
  /** Base URL, with a trailing slash, for `--@switchyard:registry=<url>`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts a minimal npm registry for the packed packages: a packument per package (one version: the
 * packed one) and the tarballs. Used with a scoped registry setting, so only `@switchyard/*` comes from
 * it and everything else from the real registry, the way users will install the published packages.
 */
export async function startLocalRegistry(packages: readonly PackedPackage[]): Promise<LocalRegistry> {
  const byName = new Map(packages.map((pkg) => [pkg.manifest.name, pkg]));
  const tarballs = new Map<string, Buffer>();
  let baseUrl = "";
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? "/").split("?")[0] ?? "/");
    // Fresh answers every run: the same version's tarball changes between runs of the test.
    response.setHeader("cache-control", "no-store");
    const tarball = tarballs.get(path);
    if (tarball) {
      response.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": tarball.length,
      });
      response.end(tarball);
      return;
    }
    const pkg = byName.get(path.slice(1));
    if (!pkg) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
      return;
    }
    const data = readFileSync(pkg.tarballPath);
    const tarballPath = `/-/${pkg.manifest.name}/-/${pkg.manifest.version}.tgz`;
    tarballs.set(tarballPath, data);
    const { name, version } = pkg.manifest;
    const packument = {
      name,
      "dist-tags": { latest: version },
      versions: {
        [version]: {
          ...pkg.manifest,
          _id: `${name}@${version}`,
          dist: {
            tarball: `${baseUrl}${tarballPath.slice(1)}`,
            shasum: createHash("sha1").update(data).digest("hex"),
            integrity: `sha512-${createHash("sha512").update(data).digest("base64")}`,
          },
        },
      },
    };
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
