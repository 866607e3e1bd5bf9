/** @module The equivalent workerd module worker (same body and headers as the seeded script). */
export default {
  fetch() {
    return new Response("Hello World\n", {
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  },
};
