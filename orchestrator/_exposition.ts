/** @module The Prometheus text exposition format (version 0.0.4), written line by line. */

/** Builds the text format: one HELP and TYPE line per family, then its samples. */
export class Exposition {
  #lines: string[] = [];

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Record<string, string>, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    const head = pairs.length ? `${name}{${pairs.join(",")}}` : name;
    this.#lines.push(`${head} ${formatValue(value)}`);
  }

  counter(name: string, help: string, value: number): void {
    this.family(name, "counter", help);
    this.sample(name, {}, value);
  }

  gauge(name: string, help: string, value: number): void {
    this.family(name, "gauge", help);
    this.sample(name, {}, value);
  }

  counterMap(name: string, help: string, label: string, m: Map<string, number>): void {
    this.family(name, "counter", help);
    for (const [k, n] of m) this.sample(name, { [label]: k }, n);
  }

  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
