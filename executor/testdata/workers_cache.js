// An unmodified Workers script: caches.default in front of an expensive answer.
export default {
  async fetch(request, _env, ctx) {
    const cache = caches.default;
    let response = await cache.match(request);
    if (!response) {
      response = new Response(`made ${crypto.randomUUID()}`, {
        headers: { "cache-control": "max-age=60" },
      });
      ctx.waitUntil(cache.put(request, response.clone()));
    }
    return response;
  },
};
