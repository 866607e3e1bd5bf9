let completedCount = 0;
export default {
  fetch(_req, ctx) {
    ctx.waitUntil(ctx.completed.then(() => completedCount++));
    ctx.waitUntil(Promise.reject(new Error("ignored background failure")));
    return new Response(String(completedCount));
  },
};
