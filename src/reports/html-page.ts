import { escapeXml } from '../charts/svg.ts';

/**
 * A report as a self-contained HTML page: inline CSS, inline SVG charts, no scripts, no external
 * requests — it opens from a file or an e-mail attachment with nothing else, and has nothing that
 * could log a console error.
 */
export interface HtmlSection {
  readonly heading: string;
  /** Trusted markup built by the report views (every data value escaped there). */
  readonly html: string;
}

export interface HtmlPageOptions {
  readonly title: string;
  readonly subtitle?: string;
  readonly sections: readonly HtmlSection[];
  /** Shown in the footer: when the data was read. */
  readonly generatedAt: number;
}

const css = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #222; background: #f6f7f9; }
header { background: #0b3a5b; color: #fff; padding: 18px 28px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; opacity: 0.85; overflow-wrap: anywhere; }
p, td { overflow-wrap: anywhere; }
main { max-width: 1100px; margin: 0 auto; padding: 12px 28px 40px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; margin: 16px 0; padding: 14px 18px; }
section h2 { margin: 0 0 10px; font-size: 17px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eceef1; text-align: left; }
td.n, th.n { text-align: right; }
th { background: #f3f5f7; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; flex: 1 1 460px; }
figure svg { width: 100%; height: auto; border: 1px solid #eceef1; border-radius: 6px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0 8px; }
.kpi { border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px 12px; min-width: 130px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { color: #555; font-size: 12px; }
.note { color: #555; }
.bad { color: #b00020; font-weight: 600; }
.good { color: #0a7a33; font-weight: 600; }
footer { color: #666; font-size: 12px; text-align: center; padding: 12px; }
`;

export function htmlPage(options: HtmlPageOptions): string {
  const sections = options.sections
    .map((s) => `<section><h2>${escapeXml(s.heading)}</h2>${s.html}</section>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(options.title)}</title>
<link rel="icon" href="data:,">
<style>${css}</style>
</head>
<body>
<header><h1>${escapeXml(options.title)}</h1>${options.subtitle ? `<p>${escapeXml(options.subtitle)}</p>` : ''}</header>
<main>
${sections}
</main>
<footer>MovieNight · generated ${escapeXml(new Date(options.generatedAt).toISOString())}</footer>
</body>
</html>
`;
}

/** A table; cells are text (escaped here). Numeric-looking cells are right-aligned. */
export function htmlTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const isNum = (s: string) => /^[-+−]?[\d.,]+\s*%?$/.test(s.trim());
  const numericColumn = headers.map(
    (_, c) => rows.length > 0 && rows.every((r) => isNum(r[c] ?? '') || (r[c] ?? '') === '–'),
  );
  const head = headers
    .map((h, c) => `<th${numericColumn[c] ? ' class="n"' : ''}>${escapeXml(h)}</th>`)
    .join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((cell, c) => `<td${numericColumn[c] ? ' class="n"' : ''}>${escapeXml(cell)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Headline figures as boxes. */
export function htmlKpis(items: ReadonlyArray<{ readonly label: string; readonly value: string }>): string {
  return `<div class="kpis">${items.map((k) => `<div class="kpi"><b>${escapeXml(k.value)}</b><span>${escapeXml(k.label)}</span></div>`).join('')}</div>`;
}

/** Charts side by side (they wrap on narrow screens). */
export function htmlCharts(svgs: readonly string[]): string {
  // Each chart starts at its drawn width and may grow a little to fill the row, never balloon.
  const figure = (svg: string) => {
    const w = Number(/ width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 480);
    return `<figure style="flex-basis: ${Math.round(Math.min(w, 1040))}px; max-width: min(100%, ${Math.round(w * 1.25)}px)">${svg}</figure>`;
  };
  return `<div class="charts">${svgs.map(figure).join('')}</div>`;
}

export function htmlParagraph(text: string, cls?: string): string {
  return `<p${cls ? ` class="${cls}"` : ''}>${escapeXml(text)}</p>`;
}
