/** @module Parses and normalises domain claim patterns and request Host headers. */

import { domainToASCII } from "node:url";

/** A validated, normalised domain claim pattern. */
export interface DomainPattern {
  /** Normalised pattern text, e.g. `{tenant}.xn--bcher-kva.example`. */
  pattern: string;
  /** `wildcard` if it contains `*`, else `param` if it has `{name}` labels, else `exact`. */
  kind: "exact" | "wildcard" | "param";
  /** The pattern with parameter names erased, so equivalent claims collide. */
  shapeKey: string;
  /** Parameter names in left-to-right order. */
  paramNames: string[];
}

/** Thrown when a domain pattern is invalid; `code` is stable, the message is for humans. */
export class DomainPatternError extends Error {
  /** Stable error code. */
  readonly code = "invalid_domain";
  /** HTTP status for the JSON error mapper. */
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = "DomainPatternError";
  }
}

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL_SEPARATORS = /[.\u3002\uff0e\uff61]/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const PARAM_LABEL = /^\{([a-z_][a-z0-9_]*)\}$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const HOST_CHARS = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const NON_ASCII = /[\u0080-\uffff]/;

/** Parses and normalises a claim pattern; throws `DomainPatternError` when it is invalid. */
export function parseDomainPattern(input: string): DomainPattern {
  let text = input.trim().toLowerCase();
  if (text === "") throw new DomainPatternError("Domain must not be empty");
  if (text.includes("://")) throw new DomainPatternError("Domain must not include a scheme");
  if (text.startsWith("[")) return parseIpv6(text);
  if (text.includes("/")) throw new DomainPatternError("Domain must not include a path");
  if (text.includes(":")) throw new DomainPatternError("Domain must not include a port");
  if (/[\s?#@\\%]/.test(text)) {
    throw new DomainPatternError(`Domain "${input.trim()}" contains invalid characters`);
  }
  if (text.endsWith(".")) text = text.slice(0, -1);
  if (text === "") throw new DomainPatternError("Domain must not be empty");
  const raw = text.split(LABEL_SEPARATORS);
  if (raw.some((l) => l === "")) throw new DomainPatternError("Domain must not have empty labels");
  const top = raw[raw.length - 1];
  if (NUMERIC_LABEL.test(top)) return parseIpv4(text);

  const labels: string[] = [];
  const paramNames: string[] = [];
  let kind: DomainPattern["kind"] = "exact";
  raw.forEach((label, i) => {
    if (label === "*") {
      if (i !== 0) throw new DomainPatternError("Wildcard is only allowed as the leftmost label");
      if (raw.length === 1) throw new DomainPatternError("A bare wildcard is not allowed");
      kind = "wildcard";
      labels.push(label);
      return;
    }
    const param = PARAM_LABEL.exec(label);
    if (param) {
      const name = param[1];
      if (i === raw.length - 1) {
        throw new DomainPatternError("The top-level label must not be a parameter");
      }
      if (paramNames.includes(name)) {
        throw new DomainPatternError(`Parameter "${name}" is used more than once`);
      }
      paramNames.push(name);
      if (kind === "exact") kind = "param";
      labels.push(label);
      return;
    }
    if (/[*{}]/.test(label)) {
      throw new DomainPatternError(
        `Label "${label}" is invalid: wildcards and parameters must be whole labels`,
      );
    }
    labels.push(toAsciiLabel(label));
  });
  const pattern = labels.join(".");
  if (pattern.length > MAX_NAME_LENGTH) {
    throw new DomainPatternError(`Domain must be at most ${MAX_NAME_LENGTH} characters`);
  }
  const shapeKey = labels.map((l) => (l.startsWith("{") ? "{}" : l)).join(".");
  return { pattern, kind, shapeKey, paramNames };
}

/** Normalises a request Host header to the form claims use; null when it is not a valid host. */
export function normalizeHost(hostHeader: string): string | null {
  const text = hostHeader.trim().toLowerCase();
  if (text === "" || text.length > 1024 || /[\s/?#@\\]/.test(text)) return null;
  let url: URL;
  try {
    url = new URL(`http://${text}/`);
  } catch {
    return null;
  }
  let host = url.hostname;
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host.startsWith("[")) return host;
  // The URL parser lets `*`, `{` and friends through; claims could capture them as values.
  if (host.length > MAX_NAME_LENGTH || !HOST_CHARS.test(host)) return null;
  return host;
}

function toAsciiLabel(label: string): string {
  let ascii = label;
  if (NON_ASCII.test(label) || label.startsWith("xn--")) {
    ascii = domainToASCII(label);
    if (ascii === "" || ascii.includes(".")) {
      throw new DomainPatternError(`Label "${label}" is not a valid internationalised name`);
    }
  }
  if (ascii.length > MAX_LABEL_LENGTH) {
    throw new DomainPatternError(`Label "${label}" is longer than ${MAX_LABEL_LENGTH} characters`);
  }
  if (!LDH_LABEL.test(ascii)) {
    throw new DomainPatternError(`Label "${label}" contains invalid characters`);
  }
  return ascii;
}

function parseIpv4(text: string): DomainPattern {
  if (/[*{}]/.test(text)) {
    throw new DomainPatternError("IP address claims must not contain wildcards or parameters");
  }
  let host = "";
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    // Falls through to the error below.
  }
  if (!IPV4.test(host)) {
    throw new DomainPatternError(`Domain "${text}" has a numeric top-level label`);
  }
  return { pattern: host, kind: "exact", shapeKey: host, paramNames: [] };
}

function parseIpv6(text: string): DomainPattern {
  const end = text.indexOf("]");
  if (end !== text.length - 1) {
    if (text[end + 1] === ":") throw new DomainPatternError("Domain must not include a port");
    throw new DomainPatternError(`Domain "${text}" is not a valid IPv6 literal`);
  }
  let host = "";
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    throw new DomainPatternError(`Domain "${text}" is not a valid IPv6 literal`);
  }
  return { pattern: host, kind: "exact", shapeKey: host, paramNames: [] };
}
