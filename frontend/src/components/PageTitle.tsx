import type { ReactNode } from 'react';

export function PageTitle({ title, extra, sub }: { title: ReactNode; extra?: ReactNode; sub?: ReactNode }) {
  return (
    <div className="scrm-page-title">
      <div>
        <h2>{title}</h2>
        {sub && <div className="scrm-muted" style={{ marginTop: 4 }}>{sub}</div>}
      </div>
      {extra && <div className="scrm-toolbar">{extra}</div>}
    </div>
  );
}
