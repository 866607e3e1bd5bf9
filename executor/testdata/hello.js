export default {
  fetch(request, env, ctx) {
    console.log("hello from", ctx.app.slug);
    return Response.json({
      url: request.url,
      method: request.method,
      params: ctx.params,
      env,
      app: ctx.app,
      requestId: ctx.requestId,
      remoteAddr: ctx.remoteAddr,
      hasCompleted: env.completed instanceof Promise,
    });
  },
  scheduled(controller, _env, ctx) {
    console.info("cron", controller.cron, ctx.app.id);
  },
};
