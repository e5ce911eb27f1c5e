// The import's column mapping: which lead field each CSV column feeds, guessed
// from the headers (built-in fields by common Chinese and English names,
// custom fields by key and label, tag groups by name), changed by the user,
// checked for what is structural only, and sent as the mapping `scrm import`
// takes (docs/intake.md). Whether a phone, an email or a budget is valid is
// decided by the server when the job runs (one place decides); its rejected
// rows CSV lists each bad row with its reasons.

/** A target of the mapping: a built-in field, "tags", or "attributes.<key>"; '' skips the column. */
export type Target = string;

/** The built-in targets the importer takes, in the order the UI lists them. */
export const BUILTIN_TARGETS = ['name', 'phone', 'email', 'company', 'source', 'sourceDetail', 'externalID', 'unionID', 'openID', 'tags'] as const;
export type BuiltinTarget = (typeof BUILTIN_TARGETS)[number];

/** Targets that identify a person; a lead needs one of them, so a mapping needs a column for one. */
export const IDENTITY_TARGETS: readonly string[] = ['phone', 'email', 'externalID', 'unionID', 'openID'];

/** Several columns may feed tags (one per tag group, say); any other target takes one column. */
export const MULTI_TARGET = 'tags';

export const ATTRIBUTE_PREFIX = 'attributes.';

/** Header names, normalised (see norm), that mean a built-in field. */
const SYNONYMS: Record<BuiltinTarget, string[]> = {
  name: ['姓名', '名字', '客户姓名', '客户名', '联系人', '联系人姓名', 'name', 'fullname', 'contactname', 'customername'],
  phone: ['手机', '手机号', '手机号码', '电话', '电话号码', '联系电话', '手机电话', '移动电话', 'mobile', 'mobilephone', 'phone', 'phonenumber', 'tel', 'telephone', 'cell', 'cellphone'],
  email: ['邮箱', '电子邮箱', '邮件', '电子邮件', '邮箱地址', 'email', 'mail', 'emailaddress'],
  company: ['公司', '公司名', '公司名称', '单位', '工作单位', '企业', '企业名称', 'company', 'companyname', 'organization', 'organisation', 'org'],
  source: ['来源', '线索来源', '来源渠道', '渠道', 'source', 'leadsource', 'channel'],
  sourceDetail: ['来源详情', '来源明细', '来源说明', 'sourcedetail', 'sourcedetails'],
  externalID: ['外部id', '外部编号', '外部系统id', 'externalid'],
  unionID: ['unionid', '微信unionid'],
  openID: ['openid', '微信openid'],
  tags: ['标签', 'tags', 'tag', 'labels'],
};

/**
 * A header or label for comparison: trimmed, lower case, without spaces,
 * "_", "-", "." and a trailing unit in brackets ("预算 (元)" is "预算").
 */
export function norm(s: string): string {
  return s
    .replace(/^\uFEFF/, '')
    .trim()
    .replace(/\s*[(（][^()（）]*[)）]\s*$/, '')
    .toLowerCase()
    .replace(/[\s_\-.·:：]/g, '');
}

export interface MappingContext {
  /** The workspace's custom fields (archived ones are not offered). */
  fields: { key: string; label: string; archived?: boolean | null }[];
  /** The workspace's tag groups: a column named after one feeds tags (its cells are tag names). */
  tagGroups: { name: string }[];
}

/** The target one header suggests on its own, or ''. */
export function guessTarget(header: string, ctx: MappingContext): Target {
  const raw = header.replace(/^\uFEFF/, '').trim();
  if (!raw) return '';
  const h = norm(raw);
  const fields = ctx.fields.filter((f) => !f.archived);
  // The canonical names, as an export's header writes them ("phone", "attributes.budget").
  if ((BUILTIN_TARGETS as readonly string[]).includes(raw)) return raw;
  if (raw.startsWith(ATTRIBUTE_PREFIX)) {
    const key = raw.slice(ATTRIBUTE_PREFIX.length);
    if (fields.some((f) => f.key === key)) return raw;
  }
  for (const t of BUILTIN_TARGETS) if (SYNONYMS[t].includes(h)) return t;
  const byKey = fields.find((f) => norm(f.key) === h);
  if (byKey) return ATTRIBUTE_PREFIX + byKey.key;
  const byLabel = fields.find((f) => norm(f.label) === h);
  if (byLabel) return ATTRIBUTE_PREFIX + byLabel.key;
  if (ctx.tagGroups.some((g) => norm(g.name) === h)) return MULTI_TARGET;
  return '';
}

/**
 * The guessed target of each header, in order. A target other than tags
 * goes to its first column only (the later ones are skipped), and a header
 * the file repeats is skipped (the server refuses to map it).
 */
export function guessMapping(headers: string[], ctx: MappingContext): Target[] {
  const taken = new Set<string>();
  const counts = headerCounts(headers);
  return headers.map((h) => {
    if ((counts.get(h.trim()) ?? 0) > 1) return '';
    const t = guessTarget(h, ctx);
    if (!t) return '';
    if (t !== MULTI_TARGET) {
      if (taken.has(t)) return '';
      taken.add(t);
    }
    return t;
  });
}

function headerCounts(headers: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of headers) m.set(h.trim(), (m.get(h.trim()) ?? 0) + 1);
  return m;
}

export type MappingProblem =
  | { code: 'noIdentity' }
  | { code: 'duplicateTarget'; target: Target; headers: string[] }
  | { code: 'duplicateHeader'; header: string }
  | { code: 'emptyHeader'; column: number };

/**
 * What is wrong with a mapping before anything is sent; an import with a
 * problem is not started. Only structure is checked: a column for a way to
 * identify people, one column per target (tags excepted), mapped headers the
 * file names once.
 */
export function mappingProblems(headers: string[], targets: Target[]): MappingProblem[] {
  const out: MappingProblem[] = [];
  const mapped = headers.map((h, i) => ({ h: h.trim(), t: targets[i] ?? '', i })).filter((c) => c.t);
  if (!mapped.some((c) => IDENTITY_TARGETS.includes(c.t))) out.push({ code: 'noIdentity' });
  const byTarget = new Map<string, string[]>();
  for (const c of mapped) {
    if (c.t === MULTI_TARGET) continue;
    byTarget.set(c.t, [...(byTarget.get(c.t) ?? []), c.h]);
  }
  for (const [target, hs] of byTarget) if (hs.length > 1) out.push({ code: 'duplicateTarget', target, headers: hs });
  const counts = headerCounts(headers);
  const seen = new Set<string>();
  for (const c of mapped) {
    if (!c.h) out.push({ code: 'emptyHeader', column: c.i + 1 });
    else if ((counts.get(c.h) ?? 0) > 1 && !seen.has(c.h)) {
      seen.add(c.h);
      out.push({ code: 'duplicateHeader', header: c.h });
    }
  }
  return out;
}

export type RowProblem = { code: 'empty' } | { code: 'fieldCount'; got: number; want: number } | { code: 'noMappedValue' };

/**
 * What is structurally wrong with one data row of the preview: no value at
 * all, a number of cells the header does not have (the importer rejects
 * it), or nothing in any mapped column. Values are not judged here.
 */
export function rowProblems(fields: string[], headerCount: number, targets: Target[]): RowProblem[] {
  if (fields.every((f) => f.trim() === '')) return [{ code: 'empty' }];
  if (fields.length !== headerCount) return [{ code: 'fieldCount', got: fields.length, want: headerCount }];
  if (targets.some((t) => t) && !targets.some((t, i) => t && (fields[i] ?? '').trim() !== '')) return [{ code: 'noMappedValue' }];
  return [];
}

export interface ImportOptions {
  /** The source of rows that name none ("import" when empty). */
  source?: string;
  delimiter?: string;
  tagSeparator?: string;
}

/** The importLeads mapping JSON (the `scrm import` mapping) of headers and their targets. */
export function buildMapping(headers: string[], targets: Target[], o: ImportOptions = {}): Record<string, unknown> {
  const columns: Record<string, string> = {};
  headers.forEach((h, i) => {
    const t = targets[i];
    if (t && h.trim()) columns[h.trim()] = t;
  });
  const m: Record<string, unknown> = { columns, skipEmpty: true };
  if (o.source?.trim()) m.source = o.source.trim();
  if (o.delimiter) m.delimiter = o.delimiter;
  if (o.tagSeparator) m.tagSeparator = o.tagSeparator;
  return m;
}

export const EXPORTABLE = ['externalID', 'name', 'phone', 'email', 'company', 'source', 'sourceDetail', 'status', 'score', 'tier', 'owner', 'stage', 'tags', 'createdAt', 'updatedAt'];

/**
 * The export columns of the leads list's visible columns, of which
 * fieldKeys are custom fields (named by their keys): those as the file's
 * attributes.<key>, what an export has no column for left out.
 */
export function exportColumns(listColumns: string[], fieldKeys: string[]): string[] {
  const out: string[] = [];
  for (const c of listColumns) {
    const col = fieldKeys.includes(c) ? ATTRIBUTE_PREFIX + c : EXPORTABLE.includes(c) ? c : '';
    if (col && !out.includes(col)) out.push(col);
  }
  return out;
}

/** The file name of a Content-Disposition header (filename*=UTF-8''… or filename="…"), or null. */
export function dispositionFilename(header: string | null | undefined): string | null {
  if (!header) return null;
  const ext = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (ext) {
    try {
      return decodeURIComponent(ext[2].trim().replace(/^"|"$/g, ''));
    } catch {
      /* fall through to filename= */
    }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(header);
  if (!plain) return null;
  return plain[2] !== undefined ? plain[2].replace(/\\(.)/g, '$1') : plain[1].trim();
}
