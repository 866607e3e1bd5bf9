export default (request, _env, ctx) =>
  new Response(`fn ${ctx.app.slug} ${new URL(request.url).pathname}`);
