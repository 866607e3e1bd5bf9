export default {
  async fetch(req) {
    const target = new URL(req.url).searchParams.get("target");
    try {
      const res = await fetch(target);
      return new Response(`ok ${await res.text()}`);
    } catch (err) {
      return new Response(`blocked ${String(err).slice(0, 120)}`);
    }
  },
};
