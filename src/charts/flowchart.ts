import { type ChartFrameOptions, escapeXml, noData, px, svgFrame } from './svg.ts';

export interface FlowNode {
  readonly id: string;
  readonly label: string;
  /** A second, smaller line (a count, a status). */
  readonly detail?: string;
  /** Grid position; default: the node's index in one row. */
  readonly column?: number;
  readonly row?: number;
}

export interface FlowEdge {
  readonly from: string;
  readonly to: string;
  /** Shown beside the arrow (e.g. a live count). */
  readonly label?: string;
}

export interface FlowchartOptions extends ChartFrameOptions {
  readonly nodes: readonly FlowNode[];
  readonly edges: readonly FlowEdge[];
}

const boxWidth = 150;
const boxHeight = 54;
const gapX = 130;
const gapY = 50;

/**
 * Boxes on a grid with labelled arrows between them. Arrows between neighbours are straight;
 * others bend below the row so they never cross a box. Arrowheads are drawn as polygons (no
 * <marker> ids), so several flowcharts can share a page.
 * It is long because it places every box and arrow of the flowchart in one pass over the same coordinates.
 */
export function flowchart(options: FlowchartOptions): string {
  const place = new Map<string, { x: number; y: number }>();
  let columns = 1;
  let rows = 1;
  options.nodes.forEach((n, i) => {
    const c = n.column ?? i;
    const r = n.row ?? 0;
    columns = Math.max(columns, c + 1);
    rows = Math.max(rows, r + 1);
    place.set(n.id, { x: 20 + c * (boxWidth + gapX), y: 44 + r * (boxHeight + gapY + 30) });
  });
  const width = options.width ?? 40 + columns * boxWidth + (columns - 1) * gapX;
  const height = options.height ?? 44 + rows * (boxHeight + gapY + 30) - gapY + 10;
  const summary = `Flowchart: ${options.edges
    .map(
      (e) =>
        `${labelOf(options.nodes, e.from)} → ${labelOf(options.nodes, e.to)}${e.label ? ` (${e.label})` : ''}`,
    )
    .join('; ')}.`;
  if (options.nodes.length === 0) {
    return svgFrame(
      options,
      width,
      height,
      summary,
      noData({ left: 0, top: 30, right: width, bottom: height }),
      'flowchart',
    );
  }
  let body = '<g class="mn-edges">';
  for (const e of options.edges) {
    const a = place.get(e.from);
    const b = place.get(e.to);
    if (!a || !b) continue;
    const sameRow = a.y === b.y;
    const adjacent = sameRow && Math.abs(a.x - b.x) <= boxWidth + gapX + 1;
    let path: string;
    let head: [number, number, number]; // tip x, tip y, direction in radians
    let labelAt: [number, number];
    if (adjacent) {
      const forward = b.x > a.x;
      const y = a.y + boxHeight / 2;
      const x1 = forward ? a.x + boxWidth : a.x;
      const x2 = forward ? b.x : b.x + boxWidth;
      path = `M${px(x1)},${px(y)}L${px(x2)},${px(y)}`;
      head = [x2, y, forward ? 0 : Math.PI];
      labelAt = [(x1 + x2) / 2, y - 8];
    } else if (!sameRow && Math.abs(a.x - b.x) < 1) {
      const down = b.y > a.y;
      const x = a.x + boxWidth / 2;
      const y1 = down ? a.y + boxHeight : a.y;
      const y2 = down ? b.y : b.y + boxHeight;
      path = `M${px(x)},${px(y1)}L${px(x)},${px(y2)}`;
      head = [x, y2, down ? Math.PI / 2 : -Math.PI / 2];
      labelAt = [x + 6, (y1 + y2) / 2];
    } else {
      // Around the boxes: down from the source, across under the row, up into the target.
      const x1 = a.x + boxWidth / 2;
      const x2 = b.x + boxWidth / 2 + (b.x > a.x ? -12 : 12);
      const y1 = a.y + boxHeight;
      const y2 = b.y + boxHeight;
      const below = Math.max(y1, y2) + 26;
      path = `M${px(x1)},${px(y1)}L${px(x1)},${px(below)}L${px(x2)},${px(below)}L${px(x2)},${px(y2)}`;
      head = [x2, y2, -Math.PI / 2];
      labelAt = [(x1 + x2) / 2, below - 5];
    }
    const [tx, ty, angle] = head;
    const p1 = [
      tx - 9 * Math.cos(angle) + 4.5 * Math.sin(angle),
      ty - 9 * Math.sin(angle) - 4.5 * Math.cos(angle),
    ];
    const p2 = [
      tx - 9 * Math.cos(angle) - 4.5 * Math.sin(angle),
      ty - 9 * Math.sin(angle) + 4.5 * Math.cos(angle),
    ];
    body += `<g class="mn-edge"><path d="${path}" fill="none" stroke="#555" stroke-width="1.5"/>`;
    body += `<polygon points="${px(tx)},${px(ty)} ${px(p1[0]!)},${px(p1[1]!)} ${px(p2[0]!)},${px(p2[1]!)}" fill="#555"/>`;
    if (e.label) {
      const anchor = !sameRow && Math.abs(a.x - b.x) < 1 ? 'start' : 'middle';
      body += `<text class="mn-edge-label" x="${px(labelAt[0])}" y="${px(labelAt[1])}" text-anchor="${anchor}" font-size="12" fill="#0072B2">${escapeXml(e.label)}</text>`;
    }
    body += '</g>';
  }
  body += '</g><g class="mn-nodes">';
  for (const n of options.nodes) {
    const p = place.get(n.id)!;
    body += `<g class="mn-node" data-node="${escapeXml(n.id)}"><rect x="${px(p.x)}" y="${px(p.y)}" width="${boxWidth}" height="${boxHeight}" rx="8" fill="#f3f7fb" stroke="#0072B2" stroke-width="1.5"/>`;
    body += `<text x="${px(p.x + boxWidth / 2)}" y="${px(p.y + (n.detail ? 22 : boxHeight / 2 + 4))}" text-anchor="middle" font-weight="600" fill="#222">${escapeXml(n.label)}</text>`;
    if (n.detail) {
      body += `<text x="${px(p.x + boxWidth / 2)}" y="${px(p.y + 40)}" text-anchor="middle" font-size="12" fill="#444">${escapeXml(n.detail)}</text>`;
    }
    body += '</g>';
  }
  body += '</g>';
  return svgFrame(options, width, height, summary, body, 'flowchart');
}

function labelOf(nodes: readonly FlowNode[], id: string): string {
  return nodes.find((n) => n.id === id)?.label ?? id;
}
