/**
 * @module Small time-series charts rendered on the server as inline SVG: bars or lines over
 * equal time buckets, coloured by CSS classes (so they follow dark mode), titled for screen
 * readers. No JavaScript; the figures themselves go in a table beside them.
 */

/** One series of a chart: a value per bucket (null: no data), drawn with a CSS class. */
export interface Series {
  name: string;
  /** `s1` (accent), `s2` (danger) or `s3` (muted). */
  cls: "s1" | "s2" | "s3";
  values: (number | null)[];
}

const W = 600;
const H = 120;

/** The smallest of 1, 2, 2.5, 5 × 10^k at or above `v` (at least `floor`). */
export function niceMax(v: number, floor = 1): number {
  const m = Math.max(v, floor);
  const p = 10 ** Math.floor(Math.log10(m));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= m) return f * p;
  return 10 * p;
}

/** A bar chart (series drawn over each other, the first at the back) or a line chart. */
export function Chart(p: {
  id: string;
  title: string;
  /** What the chart shows, in a sentence (the SVG's description). */
  summary: string;
  kind: "bar" | "line";
  series: Series[];
  unit: string;
  /** Labels under the left and right ends of the time axis. */
  from: string;
  to: string;
  floor?: number;
}) {
  const n = Math.max(1, p.series[0]?.values.length ?? 1);
  const all = p.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = niceMax(all.length ? Math.max(...all) : 0, p.floor ?? 1);
  const y = (v: number) => H - (v / max) * H;
  const step = W / n;
  const fmt = (v: number) => `${Number.isInteger(v) ? v : v.toFixed(1)}${p.unit}`;
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{p.title}</span>
        <span class="chart-legend">
          {p.series.length > 1 &&
            p.series.map((s) => (
              <span key={s.name} class={`key ${s.cls}`} aria-hidden="true">{s.name}</span>
            ))}
        </span>
      </figcaption>
      <div class="chart-body">
        <span class="chart-max" aria-hidden="true">{fmt(max)}</span>
        <svg
          viewBox={`0 0 ${W} ${H}`}
          preserveAspectRatio="none"
          role="img"
          aria-labelledby={`${p.id}-t ${p.id}-d`}
          focusable="false"
        >
          <title id={`${p.id}-t`}>{p.title}</title>
          <desc id={`${p.id}-d`}>{p.summary}</desc>
          <line class="grid" x1="0" x2={W} y1={H / 2} y2={H / 2} />
          <line class="axis" x1="0" x2={W} y1={H} y2={H} />
          {p.kind === "bar"
            ? p.series.map((s) => (
              <g class={s.cls}>
                {s.values.map((v, i) =>
                  v === null || v === 0 ? null : (
                    <rect
                      x={(i * step + step * 0.1).toFixed(1)}
                      y={y(v).toFixed(1)}
                      width={(step * 0.8).toFixed(1)}
                      height={(H - y(v)).toFixed(1)}
                    />
                  )
                )}
              </g>
            ))
            : p.series.map((s) => (
              <g class={s.cls}>
                {segments(s.values).map((seg, i) => (
                  <polyline key={i} points={pointsOf(seg, step, y)} />
                ))}
              </g>
            ))}
        </svg>
      </div>
      <div class="chart-axis" aria-hidden="true">
        <span>{p.from}</span>
        <span>{p.to}</span>
      </div>
    </figure>
  );
}

/** A run's polyline points; a lone value is a short dash across its slot (a dot would stretch). */
function pointsOf(seg: [number, number][], step: number, y: (v: number) => number): string {
  const at = (x: number, v: number) => `${x.toFixed(1)},${y(v).toFixed(1)}`;
  if (seg.length === 1) {
    const [i, v] = seg[0];
    return `${at(i * step + step * 0.2, v)} ${at(i * step + step * 0.8, v)}`;
  }
  return seg.map(([i, v]) => at(i * step + step / 2, v)).join(" ");
}

/** Runs of consecutive non-null values as `[index, value]` pairs. */
function segments(values: (number | null)[]): [number, number][][] {
  const out: [number, number][][] = [];
  let run: [number, number][] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (run.length) out.push(run);
      run = [];
    } else run.push([i, v]);
  });
  if (run.length) out.push(run);
  return out;
}
