// Dates and times in JST, as clerks read them.
const DATE_TIME = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

export function dateTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : DATE_TIME.format(d);
}

// <input type="datetime-local"> value (JST wall time) <-> ISO instant with +09:00.
export function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(Date.parse(iso) + 9 * 3600_000);
  return d.toISOString().slice(0, 16);
}

export function fromLocalInput(value) {
  return value ? `${value}:00+09:00` : "";
}

export function yen(n) {
  return n === null || n === undefined ? "—" : `${Number(n).toLocaleString("ja-JP")} 円`;
}
