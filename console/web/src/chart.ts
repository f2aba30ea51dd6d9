/**
 * Orders per minute by how they arrived, as stacked SVG bars. Pure: returns the bar geometry; the view draws it.
 */
export interface ArrivalSeries {
  /** Start of the first bucket, epoch ms. */
  from: number;
  bucketMs: number;
  /** Channel name -> count per bucket (all arrays the same length). */
  series: Record<string, number[]>;
}

export interface Bar {
  channel: string;
  bucket: number;
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
}

export function stackedBars(
  data: ArrivalSeries,
  size: { width: number; height: number },
  order: string[],
): {
  bars: Bar[];
  max: number;
  buckets: number;
} {
  const channels = order.filter((c) => data.series[c]);
  const buckets = Math.max(0, ...channels.map((c) => data.series[c]?.length ?? 0));
  const totals = Array.from({ length: buckets }, (_, i) =>
    channels.reduce((sum, c) => sum + (data.series[c]?.[i] ?? 0), 0),
  );
  const max = Math.max(1, ...totals);
  const slot = buckets > 0 ? size.width / buckets : size.width;
  const bars: Bar[] = [];
  for (let i = 0; i < buckets; i++) {
    let base = size.height;
    for (const channel of channels) {
      const count = data.series[channel]?.[i] ?? 0;
      if (count === 0) continue;
      const height = (count / max) * size.height;
      base -= height;
      bars.push({ channel, bucket: i, x: i * slot + slot * 0.1, y: base, width: slot * 0.8, height, count });
    }
  }
  return { bars, max, buckets };
}
