/** @module The page layout. */
import type { Child } from "hono/jsx";

/** Wraps a page in its document. */
export function Layout(props: { title: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <title>{props.title}</title>
      </head>
      <body>
        <h1>{props.title}</h1>
        {props.children}
      </body>
    </html>
  );
}
