// Problems in a CEL condition as the API reports them: one message of
// "line:column: text" parts joined by "; " (internal/rules), at
// extensions.field input.condition.

export interface CelProblem {
  line: number;
  column: number;
  message: string;
}

export function parseCelProblems(msg: string): { problems: CelProblem[]; rest: string } {
  const re = /(?:^|;\s)(\d+):(\d+):\s/g;
  const starts: { idx: number; end: number; line: number; column: number }[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(msg))) {
    starts.push({ idx: m.index, end: m.index + m[0].length, line: Number(m[1]), column: Number(m[2]) });
  }
  if (starts.length === 0) return { problems: [], rest: msg };
  const problems = starts.map((s, i) => {
    const stop = i + 1 < starts.length ? starts[i + 1].idx : msg.length;
    let text = msg.slice(s.end, stop).trim();
    const more = text.match(/;\s*and \d+ more$/);
    if (more) text = text.slice(0, more.index).trim();
    return { line: s.line, column: s.column, message: text };
  });
  const tail = msg.match(/and \d+ more$/);
  return { problems, rest: tail ? tail[0] : '' };
}

/** The character offset of line:column (1-based) in text, for moving the cursor there. */
export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  const ln = Math.min(Math.max(line, 1), lines.length);
  let off = 0;
  for (let i = 0; i < ln - 1; i++) off += lines[i].length + 1;
  return off + Math.min(Math.max(column - 1, 0), lines[ln - 1].length);
}
