import { describe, expect, it } from "vitest";
import { createClientAddressResolver, normaliseAddress } from "./client-address.js";

const request = (remoteAddress: string | undefined, forwardedFor?: string) => ({
  remoteAddress,
  headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
});

describe("normaliseAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["203.0.113.7:51234", "203.0.113.7"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["[2001:DB8::1]:443", "2001:db8::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["", undefined],
    [undefined, undefined],
  ])("%s -> %s", (raw, expected) => {
    expect(normaliseAddress(raw)).toBe(expected);
  });
});

describe("createClientAddressResolver", () => {
  it("without trusted proxies, is the socket peer and ignores X-Forwarded-For", () => {
    const resolve = createClientAddressResolver();
    expect(resolve(request("::ffff:198.51.100.4", "203.0.113.9"))).toBe("198.51.100.4");
    expect(resolve(request(undefined, "203.0.113.9"))).toBeUndefined();
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    const resolve = createClientAddressResolver({ trustedProxies: ["10.0.0.0/8"] });
    expect(resolve(request("198.51.100.4", "203.0.113.9"))).toBe("198.51.100.4");
  });

  it("behind trusted proxies, is the rightmost untrusted hop: entries a client prepends are not believed", () => {
    const resolve = createClientAddressResolver({ trustedProxies: ["10.0.0.0/8", "192.168.1.1"] });
    expect(resolve(request("10.1.2.3", "203.0.113.9"))).toBe("203.0.113.9");
    // The client sent "X-Forwarded-For: 1.1.1.1"; its proxy appended the real address, then an inner proxy.
    expect(resolve(request("10.1.2.3", "1.1.1.1, 203.0.113.9, 192.168.1.1"))).toBe("203.0.113.9");
    expect(resolve(request("10.1.2.3", "203.0.113.9:4711"))).toBe("203.0.113.9");
    // No header: the proxy itself is all there is.
    expect(resolve(request("10.1.2.3"))).toBe("10.1.2.3");
  });

  it("takes the leftmost hop when every hop is trusted, and stops at a hop it cannot parse", () => {
    const resolve = createClientAddressResolver({ trustedProxies: ["private"] });
    expect(resolve(request("10.0.0.1", "10.0.0.9, 172.16.0.2"))).toBe("10.0.0.9");
    expect(resolve(request("10.0.0.1", "203.0.113.9, unknown, 172.16.0.2"))).toBe("172.16.0.2");
    expect(resolve(request("10.0.0.1", "203.0.113.9, , 172.16.0.2"))).toBe("172.16.0.2");
  });

  it("matches IPv6 ranges and IPv4-mapped peers, and the named loopback range", () => {
    const resolve = createClientAddressResolver({ trustedProxies: ["loopback", "fd00::/8"] });
    expect(resolve(request("::ffff:127.0.0.1", "203.0.113.9"))).toBe("203.0.113.9");
    expect(resolve(request("::1", "2001:db8::5"))).toBe("2001:db8::5");
    expect(resolve(request("fd12::1", "[2001:db8::6]:80"))).toBe("2001:db8::6");
    expect(resolve(request("fe80::1", "203.0.113.9"))).toBe("fe80::1");
  });

  it("refuses entries that are not addresses or ranges", () => {
    for (const entry of ["10.0.0.0/33", "example.com", "10.0.0.0/8/1", "::1/129", "10.0.0.0/x"]) {
      expect(() => createClientAddressResolver({ trustedProxies: [entry] }), entry).toThrow(TypeError);
    }
  });
});
