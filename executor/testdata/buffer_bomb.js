export default {
  fetch(req) {
    if (!new URL(req.url).searchParams.has("bomb")) return new Response("ok");
    const big = new Uint8Array(1.5e9).fill(1);
    return new Response(String(big[12345]));
  },
};
