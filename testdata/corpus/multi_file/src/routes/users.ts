/** @module The users routes. */
import { json } from "../lib/http.ts";
import { findUser, type User, users } from "@/lib/store.ts";

/** `GET /users`. */
export function listUsers(): Response {
  return json(users.map((u: User) => u.name));
}

/** `GET /users/:id`. */
export function showUser(id: number): Response {
  const user = findUser(id);
  return user ? json(user) : json({ error: `no user ${id}` }, 404);
}
