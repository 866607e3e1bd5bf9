export default {
  fetch(req, ctx) {
    console.log("hello from", ctx.app.slug);
    return Response.json({
      url: req.url,
      method: req.method,
      params: ctx.params,
      env: ctx.env,
      app: ctx.app,
      requestId: ctx.requestId,
      remoteAddr: ctx.remoteAddr,
      hasCompleted: ctx.completed instanceof Promise,
    });
  },
  scheduled(event, ctx) {
    console.info("cron", event.cron, ctx.app.id);
  },
};
