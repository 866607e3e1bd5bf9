import "file:///etc/hostname";
export default { fetch: () => new Response("should not load") };
