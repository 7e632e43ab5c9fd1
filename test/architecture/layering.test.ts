import { describe, expect, it } from 'vitest';
import { cycleEdges, describeEdge, folderCycles, folderEdges, upwardEdges } from './import-graph.ts';

describe('src/ folders import one way', () => {
  const edges = folderEdges();

  it('finds imports between folders (the scan works)', () => {
    expect(edges.some((e) => e.from === 'models' && e.to === 'data')).toBe(true);
  });

  it('no folder imports one above it in the order of docs/architecture.md', () => {
    const offending = upwardEdges(edges).map(describeEdge);
    if (offending.length > 0) console.log(`upward imports:\n${offending.join('\n')}`);
    expect(offending).toEqual([]);
  });

  it('no cycle between folders', () => {
    const cycles = folderCycles(edges);
    if (cycles.length > 0) {
      console.log(`folder cycles: ${cycles.map((c) => c.join(' ↔ ')).join('; ')}`);
      console.log(cycleEdges(edges).map(describeEdge).join('\n'));
    }
    expect(cycles).toEqual([]);
  });
});
