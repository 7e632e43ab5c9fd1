/**
 * A small Prometheus text-format registry: counters and one latency histogram, labelled by route
 * pattern (never by raw URL, which would let clients create unbounded series). Gauges that
 * describe the database (tracker accuracy, active version) are read at scrape time by the caller
 * and passed to `render`.
 */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

interface HistogramSeries {
  readonly counts: number[];
  sum: number;
  count: number;
}

export interface Gauge {
  readonly name: string;
  readonly help: string;
  readonly value: number | null;
  readonly labels?: Readonly<Record<string, string>>;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Readonly<Record<string, string>>) => {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
};

export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, HistogramSeries>();
  private ratingsPosted = 0;
  private recommendationsServed = 0;

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = JSON.stringify([method, route, String(status)]);
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const hkey = JSON.stringify([method, route]);
    let h = this.latency.get(hkey);
    if (!h) {
      h = { counts: latencyBuckets.map(() => 0), sum: 0, count: 0 };
      this.latency.set(hkey, h);
    }
    for (let i = 0; i < latencyBuckets.length; i++) if (seconds <= latencyBuckets[i]!) h.counts[i]! += 1;
    h.sum += seconds;
    h.count += 1;
  }

  countRatingPosted(): void {
    this.ratingsPosted += 1;
  }

  countRecommendationsServed(): void {
    this.recommendationsServed += 1;
  }

  render(gauges: readonly Gauge[] = []): string {
    const out: string[] = [];
    out.push('# HELP movienight_http_requests_total HTTP requests by method, route pattern and status.');
    out.push('# TYPE movienight_http_requests_total counter');
    for (const [key, n] of this.requests) {
      const [method, route, status] = JSON.parse(key) as [string, string, string];
      out.push(`movienight_http_requests_total${labelText({ method, route, status })} ${n}`);
    }
    out.push('# HELP movienight_http_request_duration_seconds HTTP request latency.');
    out.push('# TYPE movienight_http_request_duration_seconds histogram');
    for (const [key, h] of this.latency) {
      const [method, route] = JSON.parse(key) as [string, string];
      latencyBuckets.forEach((le, i) => {
        out.push(
          `movienight_http_request_duration_seconds_bucket${labelText({ method, route, le: String(le) })} ${h.counts[i]}`,
        );
      });
      out.push(
        `movienight_http_request_duration_seconds_bucket${labelText({ method, route, le: '+Inf' })} ${h.count}`,
      );
      out.push(`movienight_http_request_duration_seconds_sum${labelText({ method, route })} ${h.sum}`);
      out.push(`movienight_http_request_duration_seconds_count${labelText({ method, route })} ${h.count}`);
    }
    out.push('# HELP movienight_ratings_posted_total Ratings accepted through the API by this process.');
    out.push('# TYPE movienight_ratings_posted_total counter');
    out.push(`movienight_ratings_posted_total ${this.ratingsPosted}`);
    out.push('# HELP movienight_recommendation_requests_total Recommendation lists served by this process.');
    out.push('# TYPE movienight_recommendation_requests_total counter');
    out.push(`movienight_recommendation_requests_total ${this.recommendationsServed}`);
    const seen = new Set<string>();
    for (const g of gauges) {
      if (!seen.has(g.name)) {
        out.push(`# HELP ${g.name} ${g.help}`);
        out.push(`# TYPE ${g.name} gauge`);
        seen.add(g.name);
      }
      out.push(`${g.name}${labelText(g.labels ?? {})} ${g.value === null ? 'NaN' : g.value}`);
    }
    return `${out.join('\n')}\n`;
  }
}
