/** The deprecation lifecycle's dates: shown in the viewer's time zone, edited as datetime-local. */

/** "30 Jun 2027, 12:00" in the browser's locale and time zone. */
export function formatSunset(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Whether the sunset has come: the scope is granted nowhere any more. */
export function sunsetPassed(iso: string | null | undefined, now: number = Date.now()): boolean {
  return Boolean(iso) && new Date(iso!).getTime() <= now;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time as the value of an <input type="datetime-local"> (local time, minutes). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an <input type="datetime-local"> as RFC 3339 in UTC; null when empty or invalid. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
