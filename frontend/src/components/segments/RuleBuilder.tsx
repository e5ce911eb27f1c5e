// The segment rule builder (react-querybuilder with its Ant Design controls)
// over custom and built-in fields, tags, stages, owners, behaviour events
// and saved segments, with nested AND/OR groups and NOT. Used by the
// segment editor and by journeys (condition steps and the exit rule); the
// tree converts to a SegmentRuleInput with src/lib/segmentRule.ts.
import { useMemo } from 'react';
import { Checkbox } from 'antd';
import { QueryBuilder, type NotToggleProps, type RuleGroupType } from 'react-querybuilder';
import { QueryBuilderAntD } from '@react-querybuilder/antd';
import 'react-querybuilder/dist/query-builder.css';
import { useT } from '../../i18n';
import { BuilderContext, type BuilderData } from './builderContext';
import { builderFields, defaultValue } from './fields';
import { SegmentValueEditor } from './SegmentValueEditor';

export interface RuleBuilderProps {
  query: RuleGroupType;
  onChange: (q: RuleGroupType) => void;
  /** What the value editors offer: fields, tags, stages, users, territories, saved segments. */
  data: BuilderData;
  /** Whether owners can be picked by name (needs user read). */
  canUsers: boolean;
  disabled?: boolean;
}

export function RuleBuilder({ query, onChange, data, canUsers, disabled }: RuleBuilderProps) {
  const t = useT();
  const fields = useMemo(() => builderFields(t, data.defs, canUsers), [t, data.defs, canUsers]);
  const translations = useMemo(
    () => ({
      addRule: { label: t('segment.addRule'), title: t('segment.addRule') },
      addGroup: { label: t('segment.addGroup'), title: t('segment.addGroup') },
      removeRule: { label: '×', title: t('common.remove') },
      removeGroup: { label: '×', title: t('common.remove') },
      notToggle: { label: t('segment.not'), title: t('segment.not') },
      fields: { title: t('segment.fieldTitle'), placeholderLabel: t('segment.pickField'), placeholderGroupLabel: t('segment.pickField') },
    }),
    [t],
  );
  return (
    <BuilderContext.Provider value={data}>
      <QueryBuilderAntD>
        <QueryBuilder
          fields={fields}
          query={query}
          onQueryChange={onChange}
          combinators={[
            { name: 'and', value: 'and', label: t('segment.and') },
            { name: 'or', value: 'or', label: t('segment.or') },
          ]}
          controlElements={{ valueEditor: SegmentValueEditor, notToggle: NotToggle }}
          getDefaultValue={(r) => defaultValue(r)}
          resetOnOperatorChange
          showNotToggle
          addRuleToNewGroups
          translations={translations}
          disabled={disabled}
        />
      </QueryBuilderAntD>
    </BuilderContext.Provider>
  );
}

/** The NOT switch of a group as a labelled checkbox: "取反 / Not". */
function NotToggle({ checked, handleOnChange, label, disabled, className }: NotToggleProps) {
  return (
    <Checkbox className={className} checked={!!checked} disabled={disabled} onChange={(e) => handleOnChange(e.target.checked)}>
      {label}
    </Checkbox>
  );
}
