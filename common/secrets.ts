/** @module Encrypts script secrets at rest with AES-256-GCM (WebCrypto); the key comes from config. */

/** A secret could not be decrypted: wrong key, or tampered data. */
export class SecretDecryptError extends Error {
  constructor() {
    super("A stored secret could not be decrypted with the configured key");
    this.name = "SecretDecryptError";
  }
}

/** Encrypts and decrypts short strings; the output embeds a key id and a random 96-bit IV. */
export interface SecretBox {
  /** `v1:<base64url iv>:<base64url ciphertext+tag>`. */
  seal(plain: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

const b64 = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const unb64 = (text: string): Uint8Array<ArrayBuffer> =>
  Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

/**
 * Creates a box from a 32-byte key given as base64 or base64url. `context` (e.g. the script id)
 * is bound as additional authenticated data, so a sealed value copied to another script fails.
 */
export async function createSecretBox(keyBase64: string): Promise<SecretBox> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = unb64(keyBase64.trim());
  } catch {
    throw new Error("The secret key is not valid base64");
  }
  if (raw.length !== 32) throw new Error("The secret key must be 32 bytes (base64 of 32 bytes)");
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const enc = new TextEncoder();
  return {
    async seal(plain, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: enc.encode(context) },
        key,
        enc.encode(plain),
      );
      return `v1:${b64(iv)}:${b64(new Uint8Array(data))}`;
    },
    async open(sealed, context) {
      const [version, iv, data] = sealed.split(":");
      if (version !== "v1" || !iv || !data) throw new SecretDecryptError();
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: unb64(iv), additionalData: enc.encode(context) },
          key,
          unb64(data),
        );
        return new TextDecoder().decode(plain);
      } catch {
        throw new SecretDecryptError();
      }
    },
  };
}

/** A fresh random key in the form `createSecretBox` takes. */
export function generateSecretKey(): string {
  return b64(crypto.getRandomValues(new Uint8Array(32)));
}
