/**
 * @module An itty-router app: an `AutoRouter` with params, a JSON body and a catch-all, its
 * dependency declared in package.json as an npm project would.
 */
import { AutoRouter, error } from "itty-router";

const router = AutoRouter();

const todos = [
  { id: 1, title: "water the plants", done: true },
  { id: 2, title: "write the report", done: false },
];

router
  .get("/todos", () => todos)
  .get(
    "/todos/:id",
    ({ params }) => todos.find((t) => t.id === Number(params.id)) ?? error(404, "todo not found"),
  )
  .post("/todos", async (request) => {
    const { title } = await request.json();
    if (typeof title !== "string" || title === "") return error(400, "title is required");
    return new Response(JSON.stringify({ id: todos.length + 1, title, done: false }), {
      status: 201,
      headers: { "content-type": "application/json" },
    });
  });

export default router;
