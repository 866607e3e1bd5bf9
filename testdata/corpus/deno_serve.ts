/**
 * @module A `deno serve` script: the default export's fetch reads the client address from its
 * second argument, as `deno serve main.ts` would pass it.
 */

export default {
  fetch(request, info) {
    const { hostname, port, transport } = info.remoteAddr as Deno.NetAddr;
    return Response.json({
      method: request.method,
      path: new URL(request.url).pathname,
      client: `${transport}:${hostname}`,
      hasPort: Number.isInteger(port),
    });
  },
} satisfies Deno.ServeDefaultExport;
