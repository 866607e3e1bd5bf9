/** The well-behaved app of the fault suite. */
export default { fetch: (_req: Request) => new Response("B ok") };
