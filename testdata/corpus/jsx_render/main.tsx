/**
 * @module Server-rendered pages with hono/jsx: a layout component, a list, escaping of user text,
 * and a fragment; JSX configured in deno.json as a Deno project has it.
 */
import { Hono } from "hono";
import { Layout } from "./components/layout.tsx";

const app = new Hono();

const fruits = ["apple", "banana", "cherry"];
// No `key`: the list never re-renders on the client, and precompiled JSX prints it as an attribute.
// deno-lint-ignore jsx-key
const items = fruits.map((f) => <li>{f}</li>);

app.get("/", (c) =>
  c.html(
    <Layout title="Fruits">
      <ul>
        {items}
      </ul>
    </Layout>,
  ));

function Greeting(props: { name: string }) {
  return (
    <>
      <p class="greeting">Hello, {props.name}!</p>
      <p>{fruits.length} fruits</p>
    </>
  );
}

app.get("/hello/:name", (c) =>
  c.html(
    <Layout title="Hello">
      <Greeting name={c.req.param("name")} />
    </Layout>,
  ));

export default app;
