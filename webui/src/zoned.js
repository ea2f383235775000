// Dates in the hub's time zone (schedules are read there), with Intl only.
const parts = (date, tz) => Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
  timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", second: "2-digit", weekday: "short",
}).formatToParts(date).map((p) => [p.type, p.value]));

// The UTC instant at which the hub's clock reads y-m-d h:m (for the hours DST skips or repeats, one near it).
function zonedInstant(y, m, d, hour, minute, tz) {
  let guess = Date.UTC(y, m - 1, d, hour, minute);
  for (let i = 0; i < 2; i++) {
    const p = parts(new Date(guess), tz);
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
    guess -= shown - Date.UTC(y, m - 1, d, hour, minute);
  }
  return new Date(guess);
}

function zonedParts(date, tz) {
  const p = parts(date, tz);
  return { year: +p.year, month: +p.month, day: +p.day, hour: +p.hour, minute: +p.minute, weekday: p.weekday };
}

// The next `count` local days from today: [{label, start, end}] as Dates.
export function days(count, tz, from = new Date()) {
  const today = zonedParts(from, tz);
  const found = [];
  for (let i = 0; i < count; i++) {
    const start = zonedInstant(today.year, today.month, today.day + i, 0, 0, tz);
    const end = zonedInstant(today.year, today.month, today.day + i + 1, 0, 0, tz);
    const p = zonedParts(start, tz);
    found.push({ label: `${p.weekday} ${p.day}`, start, end });
  }
  return found;
}
