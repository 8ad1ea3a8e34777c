const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_MS = 7 * UNIT_MS.d;

/**
 * Parses an interval such as `30s`, `15m`, `1h`, `1h30m` or `1d` into milliseconds: one or more
 * `<integer><unit>` parts, units `s`, `m`, `h`, `d`, from 1 second to 7 days.
 * @throws RangeError naming `where` and the accepted forms for anything else.
 */
export function parseDuration(text: string, where: string): number {
  const s = text.trim().toLowerCase();
  const parts = [...s.matchAll(/(\d{1,6})([smhd])/g)];
  const whole = parts.map((p) => p[0]).join("");
  if (parts.length === 0 || whole !== s) {
    throw new RangeError(
      `Cannot use ${where} "${text}": give a duration such as 30s, 15m, 1h or 1h30m (units s, m, h, d)`,
    );
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0);
  if (ms < UNIT_MS.s || ms > MAX_MS) {
    throw new RangeError(`Cannot use ${where} "${text}": the interval must be between 1s and 7d`);
  }
  return ms;
}

/** `90000` → `1m30s`: the shortest form {@link parseDuration} reads back. */
export function formatDuration(ms: number): string {
  let left = Math.round(ms / 1000);
  if (left === 0) return "0s";
  let out = "";
  for (const [unit, size] of [["d", 86_400], ["h", 3_600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}
