// Money and dates as a person reads them: Intl formats, each instant in its location's own time zone.
const moneyFormats = new Map<string, Intl.NumberFormat>();

export function money(cents: number | null | undefined, locale = "en-US", currency = "USD"): string {
  if (cents === null || cents === undefined) return "—";
  const key = `${locale}|${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency });
    moneyFormats.set(key, format);
  }
  return format.format(cents / 100);
}

export function percent(ratio: number | null | undefined, locale = "en-US"): string {
  if (ratio === null || ratio === undefined) return "—";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(ratio);
}

export function dateTime(iso: string, timeZone: string, locale = "en-US"): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone, weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

export function time(iso: string, timeZone: string, locale = "en-US"): string {
  return new Intl.DateTimeFormat(locale, { timeZone, hour: "numeric", minute: "2-digit" }).format(new Date(iso));
}

/** A local calendar date (YYYY-MM-DD) shown in words; no time zone arithmetic needed. */
export function day(localDate: string, locale = "en-US"): string {
  const [y, m, d] = localDate.split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short", month: "short", day: "numeric",
    year: "numeric" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Today's date (YYYY-MM-DD) in a time zone, plus `offsetDays`. */
export function localDate(timeZone: string, offsetDays = 0, from = new Date()): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(from);
  if (!offsetDays) return parts;
  return addDays(parts, offsetDays);
}

export function addDays(localDay: string, days: number): string {
  const [y, m, d] = localDay.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function offsetMinutes(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", second: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return Math.round((asUtc - at.getTime()) / 60000);
}

/** "2026-12-03" + "10:00" in America/New_York -> "2026-12-03T10:00:00-05:00" (DST included). */
export function zonedIso(localDay: string, localTime: string, timeZone: string): string {
  const [y, m, d] = localDay.split("-").map(Number);
  const [hh, mm] = localTime.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let offset = offsetMinutes(timeZone, new Date(wall));
  offset = offsetMinutes(timeZone, new Date(wall - offset * 60000));
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${localDay}T${pad(hh)}:${pad(mm)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function words(snake: string): string {
  const text = snake.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
