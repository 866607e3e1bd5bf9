let completedCount = 0;
export default {
  // `info.completed` of a `deno serve` handler is there too, on the second argument.
  fetch(_request, info, ctx) {
    ctx.waitUntil(info.completed.then(() => completedCount++));
    ctx.waitUntil(Promise.reject(new Error("ignored background failure")));
    return new Response(String(completedCount));
  },
};
