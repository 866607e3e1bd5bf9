import assert from "node:assert/strict";
import { clientAddress, createTrustedProxies, throttleKeyOf } from "./remote_addr.ts";

const h = (xff?: string, forwarded?: string) => {
  const headers = new Headers();
  if (xff !== undefined) headers.set("x-forwarded-for", xff);
  if (forwarded !== undefined) headers.set("forwarded", forwarded);
  return headers;
};

Deno.test("clientAddress() - forwarding headers count only from a trusted peer", async (t) => {
  const proxies = createTrustedProxies(["loopback", "10.0.0.0/8", "fd00::/8"]);
  const cases: [string, string, Headers, string][] = [
    ["untrusted peer", "203.0.113.9", h("1.2.3.4"), "203.0.113.9"],
    ["nothing trusted", "127.0.0.1", h("1.2.3.4"), "127.0.0.1"],
    ["rightmost untrusted hop", "127.0.0.1", h("6.6.6.6, 1.2.3.4"), "1.2.3.4"],
    ["trusted hops skipped", "10.0.0.1", h("6.6.6.6, 1.2.3.4, 10.2.2.2"), "1.2.3.4"],
    ["mapped IPv4 peer", "::ffff:127.0.0.1", h("1.2.3.4"), "1.2.3.4"],
    ["port on a hop", "127.0.0.1", h("1.2.3.4:5678"), "1.2.3.4"],
    ["garbage hop: the proxy", "127.0.0.1", h("junk"), "127.0.0.1"],
    ["all trusted: leftmost", "127.0.0.1", h("10.1.1.1, 10.2.2.2"), "10.1.1.1"],
    [
      "Forwarded when no XFF",
      "::1",
      h(undefined, 'for="[2001:DB8::1]:4711", for=10.0.0.2'),
      "2001:db8::1",
    ],
    ["XFF wins over Forwarded", "::1", h("1.2.3.4", "for=5.6.7.8"), "1.2.3.4"],
    ["IPv6 proxy range", "fd12::1", h("2001:db8::7"), "2001:db8::7"],
  ];
  for (const [name, peer, headers, want] of cases) {
    await t.step(name, () => {
      const trusted = name === "nothing trusted" ? createTrustedProxies([]) : proxies;
      assert.equal(clientAddress(peer, headers, trusted), want);
    });
  }
});

Deno.test("throttleKeyOf() - IPv6 clients count per /64, IPv4 per address", () => {
  assert.equal(throttleKeyOf("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  assert.equal(throttleKeyOf("2001:db8:1:2::9"), "2001:db8:1:2::/64");
  assert.equal(throttleKeyOf("192.0.2.1"), "192.0.2.1");
});
