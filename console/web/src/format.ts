/** Formatting for people: money, ages, countdowns. Pure. */

/** A3: order money is most likely paise (unstated); shown as rupees. */
export function rupees(paise: number | null | undefined): string {
  if (paise === null || paise === undefined) return "—";
  const value = paise / 100;
  return `₹${value.toLocaleString("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h": short enough for a phone row. */
export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export function age(createdAt: number | null, now: number): string {
  return createdAt === null ? "—" : duration(now - createdAt);
}

export interface Countdown {
  text: string;
  late: boolean;
}

/** Time left until a promised time: "12 min left", or "5 min late" once it has passed. */
export function countdown(promised: number | null, now: number): Countdown | null {
  if (promised === null) return null;
  const left = promised - now;
  if (left >= 0) return { text: `${duration(left)} left`, late: false };
  return { text: `${duration(left)} late`, late: true };
}

export function clock(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(ms)}`;
}
