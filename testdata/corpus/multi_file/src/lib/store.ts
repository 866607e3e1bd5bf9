/** @module An in-memory store of users. */

/** A user. */
export interface User {
  id: number;
  name: string;
  role: "admin" | "member";
}

/** Every user. */
export const users: readonly User[] = [
  { id: 1, name: "Ada", role: "admin" },
  { id: 2, name: "Grace", role: "member" },
];

/** The user with this id, if any. */
export function findUser(id: number): User | undefined {
  return users.find((u) => u.id === id);
}
