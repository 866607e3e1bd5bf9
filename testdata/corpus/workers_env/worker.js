/**
 * @module A Workers module-syntax script: greets with a var from `env`, checks a secret-style
 * bearer token, and records a visit in the background with `ctx.waitUntil`.
 */

// Lives as long as the isolate: enough for a demo counter, not for real analytics.
let recorded = 0;

async function recordVisit(path) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  recorded++;
  console.log(`visit recorded: ${path}`);
}

export default {
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/private") {
      const auth = request.headers.get("authorization");
      if (auth !== `Bearer ${env.API_TOKEN}`) {
        return new Response("unauthorized", { status: 401 });
      }
      return new Response("welcome back");
    }
    if (url.pathname === "/visits") return Response.json({ recorded });
    ctx.waitUntil(recordVisit(url.pathname));
    return new Response(`${env.GREETING}, ${url.searchParams.get("name") ?? "stranger"}!`, {
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "x-env-names": Object.keys(env).sort().join(","),
      },
    });
  },
};
