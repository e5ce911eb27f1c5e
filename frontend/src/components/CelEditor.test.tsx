import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { I18nProvider } from '../i18n';
import { CelEditor } from './CelEditor';

describe('CelEditor', () => {
  it('marks the lines the API reported and lists the problems', () => {
    localStorage.setItem('scrm.lang', 'en');
    const { container } = render(
      <I18nProvider>
        <CelEditor
          value={'lead.source == "web" &&\n  attributes.budgt > 1.0'}
          error={'2:3: attributes.budgt: no custom field "budgt"'}
          defs={[{ id: '1', key: 'budget', label: 'Budget', type: 'NUMBER', options: [] }]}
        />
      </I18nProvider>,
    );
    expect(screen.getByTestId('cel-errors').textContent).toContain('line 2, column 3');
    expect(screen.getByTestId('cel-errors').textContent).toContain('no custom field "budgt"');
    const marked = container.querySelectorAll('.scrm-cel-gutter .err');
    expect(marked).toHaveLength(1);
    expect(marked[0].textContent).toBe('2');
  });

  it('inserts a variable at the cursor', () => {
    localStorage.setItem('scrm.lang', 'zh');
    let value = 'lead.owned && ';
    render(
      <I18nProvider>
        <CelEditor value={value} onChange={(v) => (value = v)} defs={[{ id: '1', key: 'budget', label: '预算', type: 'NUMBER', options: [] }]} />
      </I18nProvider>,
    );
    const area = screen.getByTestId('cel-editor') as HTMLTextAreaElement;
    area.setSelectionRange(value.length, value.length);
    fireEvent.click(screen.getByText('attributes.budget'));
    expect(value).toBe('lead.owned && attributes.budget');
  });
});
