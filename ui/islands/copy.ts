/**
 * @module The copy island: `<div data-island="copy" data-copy="<input id>">` gets a "Copy" button
 * that puts the input's value on the clipboard and says so; without JavaScript (or without
 * clipboard access) the value stays selectable in its read-only input.
 */
/// <reference lib="dom" />

/** Mounts one copy button in `el`, copying the value of the input `el.dataset.copy` names. */
export function mountCopy(el: HTMLElement): void {
  const doc = el.ownerDocument;
  const input = doc.getElementById(el.dataset.copy ?? "") as HTMLInputElement | null;
  if (!input) return;
  const button = doc.createElement("button");
  button.type = "button";
  button.className = "secondary";
  button.textContent = "Copy";
  const status = doc.createElement("span");
  status.className = "hint";
  status.setAttribute("role", "status");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = "Copied to the clipboard";
    } catch {
      // No clipboard access (an insecure origin, a denied permission): select it for the user.
      input.focus();
      input.select();
      status.textContent = "Selected: press Ctrl+C (or ⌘C) to copy";
    }
  });
  el.append(button, status);
}

for (const el of Array.from(document.querySelectorAll<HTMLElement>('[data-island="copy"]'))) {
  mountCopy(el);
}
