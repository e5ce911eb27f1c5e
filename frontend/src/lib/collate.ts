// One order for names Chinese users read: pinyin (阿 before 北 before 长),
// Chinese names before Latin ones, as the API sorts tags and tag groups
// (PostgreSQL's ICU collation zh-Hans-x-icu; no numeric option, as there:
// a10 before a2). Every
// place that sorts tag or tag group names uses compareNames, so a list
// sorted here and one the API sorted agree.
const collator = new Intl.Collator('zh-Hans-CN-u-co-pinyin');

/** Compares two names in pinyin order. */
export const compareNames = (a: string, b: string): number => collator.compare(a, b);

/** Sorts by name in pinyin order (a new array). */
export function byName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareNames(a.name, b.name));
}

/** Tag groups by position, then name; each group's tags by name. */
export function sortTagGroups<T extends { name: string; position: number; tags?: readonly { name: string }[] | null }>(groups: readonly T[]): T[] {
  return [...groups]
    .sort((a, b) => a.position - b.position || compareNames(a.name, b.name))
    .map((g) => (g.tags ? { ...g, tags: byName(g.tags) } : g));
}
