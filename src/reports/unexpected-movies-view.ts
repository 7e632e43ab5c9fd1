import { barChart } from '../charts/bar-chart.ts';
import { lineChart } from '../charts/line-chart.ts';
import { formatNumber } from '../charts/svg.ts';
import { htmlCharts, htmlKpis, htmlPage, htmlParagraph, htmlTable } from './html-page.ts';
import { bar, heading, num, pct, sparkline, squeeze, type TerminalOptions, textTable } from './terminal.ts';
import type { UnexpectedMoviesReport } from './unexpected-movies-report.ts';

const sourceText = {
  tracker:
    'ratings recorded by the tracker (unexpected: no recommendation served within the tracking window before the rating)',
  ratings:
    'all stored ratings, flagged as training flags them (the tracker’s verdict; imported history without a tracker row is not unexpected)',
} as const;

const percent = (v: number) => `${formatNumber(Math.round(v * 1000) / 10)} %`;

/**
 * The report's charts as SVG strings (the HTML page and the web dashboard draw the same ones).
 * It is long because it is one list of seven chart specifications, each a plain literal.
 */
export function unexpectedMoviesCharts(r: UnexpectedMoviesReport): string[] {
  const points = r.overTime.points;
  const popLabels = r.popularity.edges.slice(0, -1).map((e, k) => {
    const last = (r.popularity.edges[k + 1] ?? e) - 1;
    return last === e ? String(e) : `${e}–${last}`;
  });
  const share = (xs: readonly number[]) => {
    const total = xs.reduce((s, x) => s + x, 0);
    return xs.map((x) => (total > 0 ? x / total : 0));
  };
  const skipped = r.overTime.outOfRange;
  const left = skipped > 0 ? ` (${skipped} with an impossible time left out)` : '';
  return [
    lineChart({
      title: `Ratings per ${r.overTime.bucket}${left}`,
      xFormat: 'date',
      xLabel: r.overTime.bucket,
      yLabel: 'ratings',
      series: [
        { name: 'all ratings', points: points.map((p) => ({ x: p.start, y: p.ratings })) },
        { name: 'unexpected', points: points.map((p) => ({ x: p.start, y: p.unexpected })) },
      ],
    }),
    lineChart({
      title: `Unexpected share over time${left}`,
      xFormat: 'date',
      xLabel: r.overTime.bucket,
      yLabel: 'share of ratings',
      yDomain: [0, 1],
      yFormat: percent,
      series: [
        { name: 'unexpected share', points: points.map((p) => ({ x: p.start, y: p.share ?? Number.NaN })) },
      ],
      ...(r.totals.share !== null ? { threshold: { y: r.totals.share, label: 'overall' } } : {}),
    }),
    barChart({
      title: 'Rating distribution (share of each group)',
      xLabel: 'rating',
      yLabel: 'share',
      valueFormat: percent,
      categories: r.ratingDistribution.map((d) => String(d.rating)),
      series: [
        {
          name: 'unexpected',
          values: share(r.ratingDistribution.map((d) => d.unexpected)),
          color: '#E69F00',
        },
        {
          name: 'rated recommendations',
          values: share(r.ratingDistribution.map((d) => d.recommended)),
          color: '#0072B2',
        },
      ],
    }),
    barChart({
      title: 'Genres (share of each group’s ratings)',
      orientation: 'horizontal',
      valueFormat: percent,
      xLabel: 'share of ratings with the genre',
      categories: r.genres.slice(0, 12).map((g) => g.genre),
      series: [
        {
          name: 'unexpected',
          values: r.genres.slice(0, 12).map((g) => g.unexpectedShare ?? 0),
          color: '#E69F00',
        },
        {
          name: 'rated recommendations',
          values: r.genres.slice(0, 12).map((g) => g.recommendedShare ?? 0),
          color: '#0072B2',
        },
      ],
    }),
    barChart({
      title: 'Popularity of the rated movie',
      orientation: 'horizontal',
      xLabel: 'share of the group’s ratings, by ratings of the movie in the database',
      valueFormat: percent,
      categories: popLabels,
      series: [
        { name: 'unexpected', values: share(r.popularity.unexpected), color: '#E69F00' },
        { name: 'rated recommendations', values: share(r.popularity.recommended), color: '#0072B2' },
      ],
    }),
    barChart({
      title: 'Users bringing the most unexpected ratings',
      orientation: 'horizontal',
      xLabel: 'unexpected ratings',
      categories: r.topUsers.map((u) => `user ${u.userId}`),
      series: [{ name: 'unexpected ratings', values: r.topUsers.map((u) => u.unexpected), color: '#E69F00' }],
    }),
    barChart({
      title: 'Movies rated most often without a recommendation',
      orientation: 'horizontal',
      xLabel: 'unexpected ratings',
      categories: r.topMovies.map((m) => m.title ?? `movie ${m.movieId}`),
      series: [
        { name: 'unexpected ratings', values: r.topMovies.map((m) => m.unexpected), color: '#E69F00' },
      ],
    }),
  ];
}

export function renderUnexpectedMoviesTerminal(r: UnexpectedMoviesReport, options: TerminalOptions): string {
  const out: string[] = [];
  out.push(heading('Unexpected movies'));
  out.push(`  Source: ${sourceText[r.source]}`);
  out.push(
    `  ${r.totals.ratings} ratings: ${r.totals.unexpected} unexpected (${pct(r.totals.share)}), ${r.totals.recommended} of recommended movies`,
  );
  if (r.totals.ratings === 0) {
    out.push(
      r.source === 'tracker'
        ? '  Nothing to show yet: no tracked ratings in this period (ratings entered through `movienight rate` or the app are tracked; --source ratings counts every stored rating).'
        : '  Nothing to show yet: no ratings in this period.',
    );
    return out.join('\n');
  }
  out.push(...overTimeLines(r, options.tty), ...groupLines(r, options.tty), ...whoLines(r));
  return out.join('\n');
}

/** The share over time: sparklines on a terminal, and the last 12 buckets as a table. */
function overTimeLines(r: UnexpectedMoviesReport, tty: boolean | undefined): string[] {
  const out: string[] = [];
  const pts = r.overTime.points;
  if (r.overTime.outOfRange > 0) {
    out.push(
      `\n  ${r.overTime.outOfRange} rating(s) have a time before 1970 or after 2200: left out of the series.`,
    );
  }
  if (tty) {
    out.push(
      `\n  Unexpected share per ${r.overTime.bucket}, ${pts[0]?.label} … ${pts[pts.length - 1]?.label}:`,
    );
    out.push(
      `  ${sparkline(
        squeeze(
          pts.map((p) => p.share),
          60,
        ),
        [0, 1],
      )}`,
    );
    out.push(`  Ratings per ${r.overTime.bucket}:`);
    out.push(
      `  ${sparkline(
        squeeze(
          pts.map((p) => p.ratings),
          60,
        ),
      )}`,
    );
  }
  out.push(heading(`Over time (per ${r.overTime.bucket}, last 12)`));
  out.push(
    textTable(
      [r.overTime.bucket, 'ratings', 'unexpected', 'share'],
      pts.slice(-12).map((p) => [p.label, String(p.ratings), String(p.unexpected), pct(p.share)]),
    ),
  );
  return out;
}

/** Unexpected ratings against rated recommendations: means, distribution, genres. */
function groupLines(r: UnexpectedMoviesReport, tty: boolean | undefined): string[] {
  const out: string[] = [];
  out.push(heading('Unexpected vs rated recommendations'));
  out.push(
    textTable(
      ['', 'unexpected', 'recommended'],
      [
        ['mean rating', num(r.meanRating.unexpected, 3), num(r.meanRating.recommended, 3)],
        [`liked (≥ ${r.likeThreshold})`, pct(r.likedShare.unexpected), pct(r.likedShare.recommended)],
        [
          'median popularity',
          num(r.popularity.median.unexpected, 1),
          num(r.popularity.median.recommended, 1),
        ],
        ['mean popularity', num(r.popularity.mean.unexpected, 1), num(r.popularity.mean.recommended, 1)],
      ],
    ),
  );
  const maxDist = Math.max(...r.ratingDistribution.map((d) => Math.max(d.unexpected, d.recommended)));
  out.push(heading('Rating distribution'));
  out.push(
    textTable(
      ['rating', 'unexpected', 'recommended', ...(tty ? ['unexpected'] : [])],
      r.ratingDistribution.map((d) => [
        String(d.rating),
        String(d.unexpected),
        String(d.recommended),
        ...(tty ? [bar(d.unexpected, maxDist, 24)] : []),
      ]),
      ['r', 'r', 'r', 'l'],
    ),
  );
  out.push(heading('Genres (top 12 by unexpected ratings)'));
  out.push(
    textTable(
      ['genre', 'unexpected', 'share', 'recommended', 'share'],
      r.genres
        .slice(0, 12)
        .map((g) => [
          g.genre,
          String(g.unexpected),
          pct(g.unexpectedShare),
          String(g.recommended),
          pct(g.recommendedShare),
        ]),
    ),
  );
  return out;
}

/** The users and movies that bring most unexpected ratings. */
function whoLines(r: UnexpectedMoviesReport): string[] {
  const out: string[] = [];
  out.push(heading('Who brings them'));
  out.push(
    textTable(
      ['user', 'unexpected', 'ratings', 'share'],
      r.topUsers.map((u) => [String(u.userId), String(u.unexpected), String(u.ratings), pct(u.share)]),
    ),
  );
  out.push(
    `  The top ${r.topUsers.length} users bring ${pct(r.topUsersShareOfUnexpected)} of all unexpected ratings.`,
  );
  out.push(heading('Movies rated most often without a recommendation'));
  out.push(
    textTable(
      ['movie', 'title', 'unexpected', 'ratings'],
      r.topMovies.map((m) => [String(m.movieId), m.title ?? '–', String(m.unexpected), String(m.ratings)]),
      ['r', 'l', 'r', 'r'],
    ),
  );
  return out;
}

/**
 * The report as one HTML page: it is long because it is the page's template, its sections in
 * reading order.
 */
export function renderUnexpectedMoviesHtml(r: UnexpectedMoviesReport): string {
  const [perBucket, shareChart, distChart, genreChart, popChart, usersChart, moviesChart] =
    unexpectedMoviesCharts(r);
  return htmlPage({
    title: 'MovieNight — unexpected movies',
    subtitle: `Source: ${sourceText[r.source]}.`,
    generatedAt: r.generatedAt,
    sections: [
      {
        heading: 'Summary',
        html:
          htmlKpis([
            { label: 'ratings', value: String(r.totals.ratings) },
            { label: 'unexpected', value: String(r.totals.unexpected) },
            { label: 'unexpected share', value: pct(r.totals.share) },
            { label: 'mean rating, unexpected', value: num(r.meanRating.unexpected, 2) },
            { label: 'mean rating, recommended', value: num(r.meanRating.recommended, 2) },
          ]) +
          htmlParagraph(
            'An unexpected movie is one the user rated although MovieNight never recommended it to them. These ratings still enter training (unless includeUnexpected is off); the impact report measures what they change.',
            'note',
          ),
      },
      { heading: 'Over time', html: htmlCharts([perBucket!, shareChart!]) },
      {
        heading: 'How they differ from rated recommendations',
        html:
          htmlCharts([distChart!, genreChart!, popChart!]) +
          htmlTable(
            ['', 'unexpected', 'rated recommendations'],
            [
              ['mean rating', num(r.meanRating.unexpected, 3), num(r.meanRating.recommended, 3)],
              [`liked (≥ ${r.likeThreshold})`, pct(r.likedShare.unexpected), pct(r.likedShare.recommended)],
              [
                'median popularity (ratings of the movie)',
                num(r.popularity.median.unexpected, 1),
                num(r.popularity.median.recommended, 1),
              ],
            ],
          ),
      },
      {
        heading: 'Who and what brings them',
        html:
          htmlCharts([usersChart!, moviesChart!]) +
          htmlParagraph(
            `The top ${r.topUsers.length} users bring ${pct(r.topUsersShareOfUnexpected)} of all unexpected ratings.`,
          ) +
          htmlTable(
            ['movie', 'title', 'unexpected', 'ratings'],
            r.topMovies.map((m) => [
              String(m.movieId),
              m.title ?? '–',
              String(m.unexpected),
              String(m.ratings),
            ]),
          ),
      },
    ],
  });
}
