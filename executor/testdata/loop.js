export default {
  fetch(req) {
    if (new URL(req.url).searchParams.has("spin")) { while (true) { /* busy */ } }
    return new Response("ok");
  },
};
