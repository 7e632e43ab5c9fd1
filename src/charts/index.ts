/**
 * SVG charts as pure functions returning self-contained SVG strings (no DOM, no external assets,
 * no ids), shared by the reports (terminal-adjacent HTML files) and the web dashboard.
 */
export { type BarChartOptions, type BarSeries, barChart } from './bar-chart.ts';
export { type ContourChartOptions, type ContourPoint, contourChart } from './contour-chart.ts';
export { type FlowchartOptions, type FlowEdge, type FlowNode, flowchart } from './flowchart.ts';
export {
  type HistogramBin,
  type HistogramOptions,
  type HistogramSeries,
  histogram,
  histogramBins,
} from './histogram.ts';
export {
  type BandPoint,
  type LineChartOptions,
  type LinePoint,
  type LineSeries,
  lineChart,
} from './line-chart.ts';
export {
  type ParallelAxis,
  type ParallelCoordinatesOptions,
  type ParallelLine,
  parallelCoordinates,
} from './parallel-coordinates.ts';
export {
  type ScatterChartOptions,
  type ScatterPoint,
  type ScatterSeries,
  scatterChart,
} from './scatter-chart.ts';
export { escapeXml, formatDate, formatNumber, niceTicks, palette } from './svg.ts';
