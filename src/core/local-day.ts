/**
 * The calendar day `YYYY-MM-DD` of a moment in this browser's time zone:
 * the day as the owner lives it (the day they watched, today's date).
 * Service days written in the file stay as written; only instants go through here.
 */
export function localDayOf(at: Date | string | number = new Date()): string {
  const date = at instanceof Date ? at : new Date(at);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}
