/**
 * @module A Supabase Edge Function as its documentation shapes one: a top-level `Deno.serve`,
 * CORS preflight, a JSON body, and settings read with `Deno.env.get`.
 */

const corsHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type",
};

Deno.serve(async (req: Request) => {
  if (req.method === "OPTIONS") {
    return new Response("ok", { headers: corsHeaders });
  }
  try {
    const { name } = await req.json();
    const data = {
      message: `Hello ${name}!`,
      project: Deno.env.get("SUPABASE_URL") ?? "unset",
      keyed: Boolean(Deno.env.get("SUPABASE_ANON_KEY")),
    };
    return new Response(JSON.stringify(data), {
      headers: { ...corsHeaders, "Content-Type": "application/json" },
    });
  } catch (error) {
    return new Response(JSON.stringify({ error: String(error) }), {
      status: 400,
      headers: { ...corsHeaders, "Content-Type": "application/json" },
    });
  }
});
