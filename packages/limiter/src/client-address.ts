import { BlockList, isIP } from "node:net";
import type { RequestContext } from "@switchyard/core";
import { z } from "zod";

/**
 * Named ranges `trustedProxies` accepts besides addresses and CIDR blocks: `loopback` (127.0.0.0/8, ::1),
 * `private` (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7) and `linklocal` (169.254.0.0/16,
 * fe80::/10).
 */
export const NAMED_PROXY_RANGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
});

/** Options of {@link createClientAddressResolver}. */
export interface ClientAddressOptions {
  /**
   * The proxies (load balancers, ingress) whose `X-Forwarded-For` is believed: IP addresses, CIDR blocks
   * (`"10.0.0.0/8"`, `"fd00::/8"`) or the names `loopback`, `private`, `linklocal`. When the socket peer is
   * one of them, the client is the rightmost `X-Forwarded-For` entry that is not a trusted proxy; from any
   * other peer the header is ignored (anyone can send it).
   * @default [] (the header is never believed: the client is the socket peer)
   */
  trustedProxies?: readonly string[];
}

/** The client's IP address of a request, or `undefined` when the adapter could not tell. */
export type ClientAddressResolver = (
  context: Pick<RequestContext, "remoteAddress" | "headers">,
) => string | undefined;

/** One `trustedProxies` entry: an address, a CIDR block, or a named range. */
export const trustedProxySchema = z.string().refine((entry) => parseRange(entry) !== undefined, {
  message: "Expected an IP address, a CIDR block like 10.0.0.0/8, or loopback / private / linklocal",
});

/**
 * Builds the function that tells a request's client address, the key of per-IP limits. Follows the
 * rightmost-untrusted rule: walk the chain `X-Forwarded-For` entries + socket peer from the right, skip
 * trusted proxies, and the first address that is not one is the client (a client can put anything at
 * the left of the header, but not to the right of what its first trusted proxy appended). When every hop
 * is trusted, the leftmost one is the client. Addresses come normalised: IPv4-mapped IPv6 as IPv4, no
 * port, no zone.
 */
export function createClientAddressResolver(options: ClientAddressOptions = {}): ClientAddressResolver {
  const proxies = options.trustedProxies ?? [];
  if (proxies.length === 0) return (context) => normaliseAddress(context.remoteAddress);
  const trusted = new BlockList();
  for (const entry of proxies) {
    const ranges = parseRange(entry);
    if (ranges === undefined) throw new TypeError(`trustedProxies: '${entry}' is not an address or range`);
    for (const range of ranges) {
      if (range.prefix === undefined) trusted.addAddress(range.address, range.family);
      else trusted.addSubnet(range.address, range.prefix, range.family);
    }
  }
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 4 ? "ipv4" : "ipv6");
  };
  return (context) => {
    let client = normaliseAddress(context.remoteAddress);
    if (client === undefined || !isTrusted(client)) return client;
    const header = context.headers["x-forwarded-for"];
    if (!header) return client;
    const hops = header.split(",");
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = normaliseAddress(hops[index]);
      // An empty or unparsable hop ends the chain: what a trusted proxy passed on is all there is.
      if (hop === undefined || isIP(hop) === 0) return client;
      client = hop;
      if (!isTrusted(hop)) return hop;
    }
    return client;
  };
}

/**
 * An address as a key: trimmed, without brackets, port or zone, IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as
 * IPv4, IPv6 lower-cased. `undefined` for nothing.
 */
export function normaliseAddress(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let address = raw.trim();
  if (address === "") return undefined;
  if (address.startsWith("[")) {
    // [v6]:port
    const end = address.indexOf("]");
    address = end === -1 ? address.slice(1) : address.slice(1, end);
  } else if (address.indexOf(":") !== -1 && address.indexOf(":") === address.lastIndexOf(":")) {
    // v4:port (one colon: IPv6 has at least two)
    address = address.slice(0, address.indexOf(":"));
  }
  const zone = address.indexOf("%");
  if (zone !== -1) address = address.slice(0, zone);
  address = address.toLowerCase();
  if (address.startsWith("::ffff:") && isIP(address.slice(7)) === 4) address = address.slice(7);
  return address;
}

interface Range {
  readonly address: string;
  readonly prefix: number | undefined;
  readonly family: "ipv4" | "ipv6";
}

function parseRange(entry: string): Range[] | undefined {
  const named = NAMED_PROXY_RANGES[entry.trim().toLowerCase()];
  if (named) return named.map((range) => parseRange(range)?.[0] as Range);
  const [rawAddress, rawPrefix, ...rest] = entry.trim().split("/");
  if (rest.length > 0 || rawAddress === undefined) return undefined;
  const address = normaliseAddress(rawAddress);
  const family = address === undefined ? 0 : isIP(address);
  if (address === undefined || family === 0) return undefined;
  if (rawPrefix === undefined)
    return [{ address, prefix: undefined, family: family === 4 ? "ipv4" : "ipv6" }];
  if (!/^\d{1,3}$/.test(rawPrefix)) return undefined;
  const prefix = Number(rawPrefix);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  return [{ address, prefix, family: family === 4 ? "ipv4" : "ipv6" }];
}
