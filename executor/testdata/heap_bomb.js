export default {
  fetch(req) {
    if (!new URL(req.url).searchParams.has("bomb")) return new Response("ok");
    const hoard = [];
    for (let i = 0; i < 1e9; i++) hoard.push({ i, s: "x".repeat(64) + i });
    return new Response(String(hoard.length));
  },
};
