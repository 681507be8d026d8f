/**
 * Charts for the report pages: Vega-Lite specs compiled and rendered to SVG on the server (no
 * script in the browser). The SVG is an image to assistive technology (role="img", named by the
 * chart's heading and text summary); the figures themselves are in the table beneath each chart.
 * Sized by its viewBox so it shrinks to the column's width (320 px and up); no inline style, so
 * the content security policy needs nothing extra. Colours from the GOV.UK palette.
 */
import type * as Vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { LRUCache } from 'lru-cache';

/**
 * Vega and Vega-Lite load with the first chart, not with the app: together they took about 0.4 s
 * of every start-up (issue 13) for pages only the report readers open.
 */
let libraries:
  Promise<{ vega: typeof Vega; compile: typeof import('vega-lite').compile }> | undefined;
function chartLibraries() {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vegaLite]) => ({
    vega,
    compile: vegaLite.compile,
  }));
  // A failed load is tried again by the next chart rather than remembered.
  libraries.catch(() => (libraries = undefined));
  return libraries;
}

export const GOVUK = {
  blue: '#1d70b8',
  black: '#0b0c0c',
  grey: '#505a5f',
  midGrey: '#b1b4b6',
  green: '#00703c',
  red: '#d4351c',
  orange: '#f47738',
} as const;

/** The intrinsic width: scaled to fit the page, so text stays readable at 320 px. */
const WIDTH = 480;

const CONFIG = {
  aria: false,
  background: 'white',
  font: 'arial, sans-serif',
  view: { stroke: null },
  axis: {
    labelColor: GOVUK.black,
    titleColor: GOVUK.black,
    labelFontSize: 14,
    titleFontSize: 14,
    titleFontWeight: 'bold',
    domainColor: GOVUK.grey,
    tickColor: GOVUK.grey,
    gridColor: '#e5e6e7',
    labelLimit: 200,
  },
  legend: {
    labelColor: GOVUK.black,
    titleColor: GOVUK.black,
    labelFontSize: 14,
    titleFontSize: 14,
    orient: 'bottom',
  },
  text: { fontSize: 14, fill: GOVUK.black },
} as const;

/**
 * Compiling a Vega-Lite spec and parsing the Vega result cost more than drawing, so each chart
 * shape (its spec without data: the rows arrive as the named dataset "table") is compiled and
 * parsed once per process; a request only builds a view on the parsed runtime and draws.
 */
const runtimes = new Map<string, Vega.Runtime>();

/** The last drawings, by spec and data: the same figures draw the same SVG (a page reloaded). */
const MAX_DRAWINGS = 200;
const drawings = new LRUCache<string, string>({ max: MAX_DRAWINGS });

/** Forgets the drawings (the bench times a page's charts drawn afresh). */
export function forgetDrawings(): void {
  drawings.clear();
}

async function render(spec: TopLevelSpec, values: readonly object[]): Promise<string> {
  const key = JSON.stringify(spec);
  const drawingKey = `${key}\n${JSON.stringify(values)}`;
  const drawn = drawings.get(drawingKey);
  if (drawn !== undefined) return drawn;
  const { vega, compile } = await chartLibraries();
  let runtime = runtimes.get(key);
  if (!runtime) {
    const quiet = vega.logger(vega.None);
    const full = { ...spec, data: { name: 'table' }, config: CONFIG } as TopLevelSpec;
    runtime = vega.parse(compile(full, { logger: quiet }).spec);
    runtimes.set(key, runtime);
  }
  const view = new vega.View(runtime, { renderer: 'none', logLevel: vega.None });
  view.data(
    'table',
    values.map((v) => ({ ...v })),
  );
  const svg = await view.toSVG();
  view.finalize();
  drawings.set(drawingKey, svg);
  return svg;
}

/**
 * The rendered SVG made responsive and accessible: the root's fixed width and height go (the
 * viewBox stays), and it becomes one image labelled by `labelledBy` (element ids on the page).
 */
export function accessibleSvg(svg: string, labelledBy: string): string {
  // Inside an image nothing is announced, so the marks' own roles and labels go.
  const body = svg.replace(/\s(role|aria-[a-z]+)="[^"]*"/g, '');
  return body.replace(/^<svg([^>]*)>/, (_m, attrs: string) => {
    const kept = attrs.replace(/\s(width|height|class)="[^"]*"/g, '');
    return `<svg${kept} class="app-chart__svg" role="img" aria-labelledby="${labelledBy}" focusable="false">`;
  });
}

export interface Bar {
  label: string;
  value: number;
}

/** Horizontal bars in the order given, each labelled with its value. */
export async function barChart(
  bars: readonly Bar[],
  options: { labelledBy: string; xTitle: string; color?: string },
): Promise<string> {
  const height = Math.max(1, bars.length) * 36;
  const svg = await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH - 220,
      height,
      encoding: {
        y: { field: 'label', type: 'nominal', sort: { field: 'order' }, title: null },
        x: {
          field: 'value',
          type: 'quantitative',
          title: options.xTitle,
          axis: { tickMinStep: 1 },
        },
      },
      layer: [
        { mark: { type: 'bar', color: options.color ?? GOVUK.blue } },
        {
          mark: { type: 'text', align: 'left', dx: 4, color: GOVUK.black, fontSize: 14 },
          encoding: { text: { field: 'value', type: 'quantitative', format: ',d' } },
        },
      ],
    } as TopLevelSpec,
    bars.map((b, i) => ({ ...b, order: i })),
  );
  return accessibleSvg(svg, options.labelledBy);
}

export interface LinePoint {
  on: string;
  series: string;
  value: number;
}

/** Lines over time, one per series, in the colours given (series in legend order). */
export async function lineChart(
  points: readonly LinePoint[],
  options: { labelledBy: string; yTitle: string; series: { name: string; color: string }[] },
): Promise<string> {
  const svg = await render(
    {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH - 80,
      height: 220,
      mark: { type: 'line', point: true, strokeWidth: 3 },
      encoding: {
        x: {
          field: 'on',
          type: 'temporal',
          title: 'Week ending',
          scale: { type: 'utc' },
          axis: { format: '%d %b', formatType: 'utc', labelAngle: -45, tickCount: 6 },
        },
        y: {
          field: 'value',
          type: 'quantitative',
          title: options.yTitle,
          axis: { tickMinStep: 1 },
        },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: {
            domain: options.series.map((s) => s.name),
            range: options.series.map((s) => s.color),
          },
        },
        strokeDash: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: {
            domain: options.series.map((s) => s.name),
            range: [
              [1, 0],
              [6, 3],
              [2, 2],
            ],
          },
        },
      },
    } as TopLevelSpec,
    // Days as instants (UTC midnight): data inserted into a view is not parsed by Vega-Lite.
    points.map((p) => ({ ...p, on: Date.parse(`${p.on}T00:00:00Z`) })),
  );
  return accessibleSvg(svg, options.labelledBy);
}
