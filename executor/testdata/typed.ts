interface Greeting {
  text: string;
  n: number;
}

function greet(name: string): Greeting {
  return { text: `hi ${name}`, n: name.length };
}

export default {
  async fetch(req: Request, _env: unknown, ctx: { requestId: string }): Promise<Response> {
    const name = new URL(req.url).searchParams.get("name") ?? "anon";
    console.log("start", ctx.requestId);
    await new Promise((resolve) => setTimeout(resolve, 20));
    console.warn("after await", ctx.requestId);
    const body = req.method === "POST" ? await req.text() : "";
    return Response.json({ ...greet(name), echo: body });
  },
};
