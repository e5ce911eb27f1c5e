// The SOP journey builder (/journeys/new, /journeys/:id/edit): name and
// reentry, the trigger (kind and what it is about; fixed after creation),
// the steps in order (add, move, remove; a condition's rule and the exit
// rule use the segment rule builder), and save. What the input's types need
// is checked first and said on the step; the API's input errors
// (input.steps[2].wait.atLocalTime) land on the step, and the field, they
// name. An edit of the steps or the exit rule makes a new version.
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useNavigate, useParams } from 'react-router';
import {
  Alert, App, Button, Card, Dropdown, Empty, Form, Input, InputNumber, Radio, Result, Select, Skeleton, Space, Switch, Tag, Tooltip, Typography,
} from 'antd';
import { ArrowDownOutlined, ArrowLeftOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from 'urql';
import { ChannelsDoc, ContactWaysDoc } from '../api/ops';
import { CreateJourneyDoc, JourneyDefinitionDoc, UpdateJourneyDoc } from '../api/journeyOps';
import { errorMessage, errorText } from '../api/errors';
import { usePipelines, useTags, useUsers } from '../api/hooks';
import { useSession } from '../auth/session';
import { useI18n, type MessageKey } from '../i18n';
import { RuleBuilder } from '../components/segments/RuleBuilder';
import { useRuleBuilderData } from '../components/segments/useRuleBuilderData';
import type { BuilderData } from '../components/segments/builderContext';
import {
  createInput, draftProblems, emptyJourney, emptyRule, newStep, placeErrors, stepsFromDefinition, STEP_KINDS, TRIGGER_KINDS,
  triggerFromJSON, triggerValueKind, updateInput, ruleDraft, type DraftProblems, type JourneyDraft, type PlacedErrors, type RuleDraft,
  type StepDraft, type StepKind, type TriggerKind,
} from '../lib/journeys';
import { useMobile } from '../lib/useMobile';

export default function JourneyEditorPage() {
  const { id } = useParams();
  const isNew = !id;
  const { t, lang } = useI18n();
  const { can } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [res] = useQuery({ query: JourneyDefinitionDoc, variables: { id: id ?? '' }, pause: isNew, requestPolicy: 'network-only' });
  const journey = res.data?.node?.__typename === 'Journey' ? res.data.node : null;

  const [draft, setDraft] = useState<JourneyDraft>(emptyJourney);
  const [loaded, setLoaded] = useState<JourneyDraft | null>(null);
  useEffect(() => {
    if (!journey || loaded) return;
    const d: JourneyDraft = {
      name: journey.name,
      trigger: triggerFromJSON(journey.trigger),
      steps: stepsFromDefinition(journey.definition),
      exitRule: journey.exitRule ? ruleDraft(journey.exitRule) : null,
      reentry: journey.reentry,
    };
    setLoaded(d);
    setDraft(d);
  }, [journey, loaded]);

  // Problems are shown after a first try to save, and follow the edits from then on.
  const [tried, setTried] = useState(false);
  const problems: DraftProblems | null = useMemo(() => (tried ? draftProblems(draft) : null), [tried, draft]);
  const [placed, setPlaced] = useState<PlacedErrors | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateJourneyDoc);
  const [{ fetching: updating }, update] = useMutation(UpdateJourneyDoc);

  const rules = useRuleBuilderData();
  const mobile = useMobile();

  const setStep = (i: number, s: StepDraft) => {
    setDraft((d) => ({ ...d, steps: d.steps.map((x, j) => (j === i ? s : x)) }));
    // The API's errors of a step go once it is changed.
    setPlaced((p) => {
      if (!p?.steps.has(i)) return p;
      const steps = new Map(p.steps);
      steps.delete(i);
      return { ...p, steps };
    });
  };
  const reorder = (f: (steps: StepDraft[]) => StepDraft[]) => {
    setDraft((d) => ({ ...d, steps: f(d.steps) }));
    setPlaced((p) => (p ? { ...p, steps: new Map() } : p)); // the indices no longer match
  };
  const move = (i: number, by: number) => reorder((l) => {
    const out = [...l];
    const [s] = out.splice(i, 1);
    out.splice(i + by, 0, s);
    return out;
  });

  const save = async () => {
    setTried(true);
    setPlaced(null);
    const p = draftProblems(draft);
    if (p.count > 0 || !draft.name.trim() || draft.steps.length === 0) {
      document.querySelector('[data-error=true]')?.scrollIntoView({ block: 'center', behavior: 'smooth' });
      return;
    }
    if (isNew) {
      const r = await create({ input: createInput(draft) });
      if (r.error) {
        setPlaced(placeErrors(r.error));
        return;
      }
      message.success(t('journey.created', { name: r.data!.createJourney.name }));
      navigate(`/journeys/${r.data!.createJourney.id}`, { replace: true });
      return;
    }
    const { input, newVersion } = updateInput(draft, loaded!);
    const r = await update({ id: id!, input });
    if (r.error) {
      setPlaced(placeErrors(r.error));
      return;
    }
    message.success(newVersion ? t('journey.savedVersion', { v: r.data!.updateJourney.version }) : t('journey.saved'));
    navigate(`/journeys/${id}`, { replace: true });
  };
  useEffect(() => {
    if (placed && (placed.steps.size || placed.trigger.length || placed.exitRule.length || placed.name.length)) {
      setTimeout(() => document.querySelector('[data-error=true]')?.scrollIntoView({ block: 'center', behavior: 'smooth' }), 50);
    }
  }, [placed]);

  if (!can('journey', 'write')) return <Result status="403" title="403" subTitle={t('journey.noWrite')} />;
  if (!isNew && res.fetching && !journey) return <Skeleton active />;
  if (!isNew && !journey) {
    return res.error ? <Result status="error" title={t('common.loadFailed')} subTitle={errorText(res.error)} /> : <Result status="404" title={t('journey.notFound')} />;
  }
  if (journey?.status === 'ARCHIVED') return <Result status="warning" title={t('journey.archivedNoEdit')} extra={<Button onClick={() => navigate(`/journeys/${id}`)}>{t('common.back')}</Button>} />;
  if (!isNew && !loaded) return <Skeleton active />;

  const nameErrors = [...(tried && !draft.name.trim() ? [t('journey.nameRequired')] : []), ...(placed?.name ?? [])];
  const triggerErrors = [...(problems?.trigger ? [t('journey.triggerValueRequired')] : []), ...(placed?.trigger ?? [])];
  const exitErrors = [...(problems?.exitRule ? [t(problems.exitRule.key)] : []), ...(placed?.exitRule ?? [])];
  const stepCount = problems ? problems.count + (draft.name.trim() ? 0 : 1) : 0;

  return (
    <div data-testid="journey-editor" style={{ maxWidth: 1100 }}>
      <div className="scrm-page-title">
        <Space wrap>
          <Button type="text" icon={<ArrowLeftOutlined />} onClick={() => navigate(isNew ? '/journeys' : `/journeys/${id}`)} aria-label={t('common.back')} />
          <h2 style={{ margin: 0 }}>{isNew ? t('journey.newTitle') : t('journey.editTitle')}</h2>
          {journey && <Tag data-testid="journey-version">{t('journey.version', { v: journey.version })}</Tag>}
        </Space>
        <Button type="primary" onClick={save} loading={creating || updating} data-testid="journey-save">
          {isNew ? t('journey.create') : t('common.save')}
        </Button>
      </div>
      {journey && journey.status !== 'DRAFT' && (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('journey.versionNote', { v: journey.version, next: journey.version + 1 })} data-testid="journey-version-note" />
      )}
      {stepCount > 0 && <Alert type="error" showIcon style={{ marginBottom: 16 }} title={t('journey.problems', { n: stepCount })} data-testid="journey-problems" />}
      {placed && (placed.rest.length > 0 || placed.steps.size > 0) && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="journey-save-error"
          title={placed.steps.size > 0 ? t('journey.refused') : t('journey.refusedOther')}
          description={placed.rest.length > 0 ? [...new Set(placed.rest.map((e) => (e.field ? `${e.field}: ` : '') + errorMessage(e, lang)))].join('; ') : undefined}
        />
      )}

      <Card size="small" title={t('journey.basics')} style={{ marginBottom: 16 }}>
        <Form layout="vertical" component={false}>
          <Form.Item label={t('journey.name')} required validateStatus={nameErrors.length ? 'error' : undefined} help={nameErrors.join('; ') || undefined} data-error={nameErrors.length > 0 || undefined}>
            <Input value={draft.name} maxLength={200} onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))} data-testid="journey-name" />
          </Form.Item>
          <Form.Item label={t('journey.reentry')} extra={t('journey.reentryHint')} style={{ marginBottom: 0 }}>
            <Switch checked={draft.reentry} onChange={(v) => setDraft((d) => ({ ...d, reentry: v }))} data-testid="journey-reentry" />
          </Form.Item>
        </Form>
      </Card>

      <Card size="small" title={t('journey.trigger')} style={{ marginBottom: 16 }} data-testid="journey-trigger" data-error={triggerErrors.length > 0 || undefined}>
        <TriggerEditor
          kind={draft.trigger.kind}
          value={draft.trigger.value}
          editing={!isNew}
          errors={triggerErrors}
          onChange={(kind, value) => setDraft((d) => ({ ...d, trigger: { kind, value } }))}
        />
      </Card>

      <Card
        size="small"
        title={<Space>{t('journey.steps')}<Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 12 }}>{t('journey.stepsHint')}</Typography.Text></Space>}
        style={{ marginBottom: 16 }}
      >
        {draft.steps.length === 0 && <Empty description={t('journey.noSteps')} />}
        {draft.steps.map((s, i) => {
          const own = (problems?.steps.get(i) ?? []).map((p) => ({ field: p.field, message: t(p.key) }));
          return (
            <StepCard
              key={s.key}
              step={s}
              index={i}
              count={draft.steps.length}
              errors={[...own, ...(placed?.steps.get(i) ?? [])]}
              onChange={(x) => setStep(i, x)}
              onMove={(by) => move(i, by)}
              onRemove={() => reorder((l) => l.filter((_, j) => j !== i))}
              rules={rules}
              mobile={mobile}
            />
          );
        })}
        <Dropdown
          trigger={['click']}
          menu={{
            items: STEP_KINDS.map((k) => ({ key: k, label: <span data-testid={`journey-add-${k}`}>{t(`journeyStep.${k}` as MessageKey)}</span> })),
            onClick: ({ key }) => reorder((l) => [...l, newStep(key as StepKind)]),
          }}
        >
          <Button icon={<PlusOutlined />} type="dashed" block data-testid="journey-add-step">{t('journey.addStep')}</Button>
        </Dropdown>
      </Card>

      <Card
        size="small"
        title={t('journey.exitRule')}
        style={{ marginBottom: 16 }}
        data-testid="journey-exit"
        data-error={exitErrors.length > 0 || undefined}
        extra={<Switch checked={!!draft.exitRule} onChange={(on) => setDraft((d) => ({ ...d, exitRule: on ? emptyRule() : null }))} data-testid="journey-exit-toggle" aria-label={t('journey.exitRuleOn')} />}
      >
        <Typography.Paragraph type="secondary" style={{ marginBottom: draft.exitRule ? 8 : 0 }}>{t('journey.exitRuleHint')}</Typography.Paragraph>
        {draft.exitRule && (
          <RuleEditor rule={draft.exitRule} onChange={(r) => setDraft((d) => ({ ...d, exitRule: r }))} rules={rules} errors={exitErrors} testid="journey-exit-builder" />
        )}
      </Card>
      <div style={{ textAlign: 'right' }}>
        <Button type="primary" onClick={save} loading={creating || updating} data-testid="journey-save-bottom">
          {isNew ? t('journey.create') : t('common.save')}
        </Button>
      </div>
    </div>
  );
}

function TriggerEditor({ kind, value, editing, errors, onChange }: {
  kind: TriggerKind; value: string; editing: boolean; errors: string[]; onChange: (k: TriggerKind, v: string) => void;
}) {
  const { t } = useI18n();
  const { can } = useSession();
  const { tags } = useTags();
  const { stages } = usePipelines();
  const { data } = useRuleBuilderData();
  const vk = triggerValueKind(kind);
  const [cw] = useQuery({ query: ContactWaysDoc, pause: vk !== 'contactWay' || !can('channel', 'read') });
  const err = { validateStatus: errors.length ? ('error' as const) : undefined, help: errors.join('; ') || undefined };
  let control: ReactNode = null;
  const select = (label: string, options: { value: string; label: string }[]) => (
    <Form.Item label={label} required {...err}>
      <Select value={value || undefined} onChange={(v: string) => onChange(kind, v)} options={options} showSearch={{ optionFilterProp: 'label' }} data-testid="journey-trigger-value" />
    </Form.Item>
  );
  switch (vk) {
    case 'source':
      control = (
        <Form.Item label={t('journey.source')} extra={t('journey.sourceHint')} {...err}>
          <Input value={value} maxLength={100} placeholder={t('journeyTrigger.any')} onChange={(e) => onChange(kind, e.target.value)} data-testid="journey-trigger-value" />
        </Form.Item>
      );
      break;
    case 'event':
      control = (
        <Form.Item label={t('journey.eventName')} required {...err}>
          <Input value={value} maxLength={100} placeholder="viewed_price" onChange={(e) => onChange(kind, e.target.value)} data-testid="journey-trigger-value" />
        </Form.Item>
      );
      break;
    case 'tag':
      control = select(t('journey.tag'), tags.map((x) => ({ value: x.id, label: x.group ? `${x.group.name} / ${x.name}` : x.name })));
      break;
    case 'stage':
      control = select(t('journey.stage'), stages.map((s) => ({ value: s.id, label: `${s.pipelineName} / ${s.name}` })));
      break;
    case 'segment':
      control = select(t('journey.segment'), data.segments.map((s) => ({ value: s.id, label: s.name })));
      break;
    case 'contactWay':
      control = select(t('journey.contactWay'), (cw.data?.contactWays ?? []).map((c) => ({ value: c.id, label: c.name })));
      break;
    default:
      if (errors.length) control = <Alert type="error" showIcon title={errors.join('; ')} />;
  }
  return (
    <Form layout="vertical" component={false}>
      <Form.Item label={t('journey.triggerKind')} extra={<>{t(`journeyTrigger.hint.${kind}` as MessageKey)}{editing && <div data-testid="journey-trigger-edit-hint">{t('journey.triggerEdit')}</div>}</>}>
        <Select
          value={kind}
          onChange={(k: TriggerKind) => onChange(k, '')}
          options={TRIGGER_KINDS.map((k) => ({ value: k, label: t(`journeyTrigger.${k}` as MessageKey) }))}
          data-testid="journey-trigger-kind"
          style={{ maxWidth: 360 }}
        />
      </Form.Item>
      {control}
    </Form>
  );
}

/** A condition's (or the exit rule's) rule: the segment rule builder, or JSON when the builder cannot show it. */
function RuleEditor({ rule, onChange, rules, errors, testid }: {
  rule: RuleDraft; onChange: (r: RuleDraft) => void; rules: { data: BuilderData; canUsers: boolean }; errors: string[]; testid: string;
}) {
  const { t } = useI18n();
  return (
    <div data-testid={testid} data-error={errors.length > 0 || undefined}>
      {rule.json !== null ? (
        <>
          <Alert type="info" showIcon title={t('journey.jsonMode')} style={{ marginBottom: 8 }} />
          <Input.TextArea className="scrm-cel" autoSize={{ minRows: 4, maxRows: 16 }} value={rule.json} onChange={(e) => onChange({ ...rule, json: e.target.value })} />
        </>
      ) : (
        <div className="scrm-rule-scroll">
          <RuleBuilder query={rule.query} onChange={(q) => onChange({ ...rule, query: q })} data={rules.data} canUsers={rules.canUsers} />
        </div>
      )}
      {errors.length > 0 && <Typography.Text type="danger" data-testid={`${testid}-error`}>{errors.join('; ')}</Typography.Text>}
    </div>
  );
}

function StepCard({ step, index, count, errors, onChange, onMove, onRemove, rules, mobile }: {
  step: StepDraft; index: number; count: number; errors: { field: string; message: string }[];
  onChange: (s: StepDraft) => void; onMove: (by: number) => void; onRemove: () => void;
  rules: { data: BuilderData; canUsers: boolean }; mobile: boolean;
}) {
  const { t } = useI18n();
  const { can } = useSession();
  const { tags } = useTags();
  const { stages } = usePipelines();
  const { users, allowed: canUsers } = useUsers(step.kind === 'createTask');
  const [channels] = useQuery({ query: ChannelsDoc, pause: step.kind !== 'sendMessage' || !can('channel', 'read') });
  const fe = (field: string) => errors.filter((e) => e.field === field).map((e) => e.message);
  const item = (field: string) => {
    const m = fe(field);
    return { validateStatus: m.length ? ('error' as const) : undefined, help: m.length ? <span data-testid={`step-error-${field}`}>{m.join('; ')}</span> : undefined };
  };
  const whole = fe('');
  // Errors on a field the form does not show (e.g. condition.rule.and[0]… is shown on the rule) fall back to the step.
  const shown = new Set(['', ...fieldsOf(step.kind)]);
  const other = errors.filter((e) => !shown.has(e.field)).map((e) => e.message);
  const stepAlert = [...whole, ...other];
  const hasErrors = errors.length > 0;
  const tagOptions = tags.map((x) => ({ value: x.id, label: x.group ? `${x.group.name} / ${x.name}` : x.name }));
  const set = <K extends StepDraft>(patch: Partial<K>) => onChange({ ...step, ...patch } as StepDraft);

  let body: ReactNode = null;
  switch (step.kind) {
    case 'wait':
      body = (
        <>
          <Space wrap align="start">
            {(['days', 'hours', 'minutes'] as const).map((k) => (
              <Form.Item key={k} label={k === 'days' ? t('journey.wait.for') : ' '} colon={false} {...item(k)} style={{ marginBottom: 8 }}>
                <InputNumber min={0} precision={0} value={step[k]} onChange={(v) => set({ [k]: v } as Partial<StepDraft>)} suffix={t(`journey.wait.${k}`)} style={{ width: 130 }} data-testid={`step-wait-${k}`} />
              </Form.Item>
            ))}
            <Form.Item label={t('journey.wait.at')} {...item('atLocalTime')} style={{ marginBottom: 8 }}>
              <Input value={step.atLocalTime} placeholder="09:00" maxLength={5} onChange={(e) => set({ atLocalTime: e.target.value })} style={{ width: 120 }} data-testid="step-wait-at" />
            </Form.Item>
          </Space>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0, fontSize: 12 }}>{t('journey.wait.hint')}</Typography.Paragraph>
        </>
      );
      break;
    case 'condition':
      body = (
        <>
          <Form.Item label={t('journey.condition.rule')} style={{ marginBottom: 8 }}>
            <RuleEditor rule={step.rule} onChange={(r) => set({ rule: r })} rules={rules} errors={fe('rule')} testid="step-condition-builder" />
          </Form.Item>
          <Form.Item label={t('journey.condition.otherwise')} {...item('otherwise')} style={{ marginBottom: 0 }}>
            <Radio.Group
              value={step.otherwise}
              onChange={(e) => set({ otherwise: e.target.value })}
              options={(['EXIT', 'SKIP_NEXT'] as const).map((o) => ({ value: o, label: t(`journey.otherwise.${o}`) }))}
              data-testid="step-otherwise"
            />
          </Form.Item>
        </>
      );
      break;
    case 'addTags':
    case 'removeTags':
      body = (
        <Form.Item label={t('journey.tags')} required {...item('tagIDs')} style={{ marginBottom: 0 }}>
          <Select mode="multiple" value={step.tagIDs} onChange={(v: string[]) => set({ tagIDs: v })} options={tagOptions} showSearch={{ optionFilterProp: 'label' }} data-testid="step-tags" />
        </Form.Item>
      );
      break;
    case 'createTask':
      body = (
        <>
          <Form.Item label={t('journey.task.title')} required {...item('title')} style={{ marginBottom: 8 }}>
            <Input value={step.title} maxLength={200} onChange={(e) => set({ title: e.target.value })} data-testid="step-task-title" />
          </Form.Item>
          <Form.Item label={t('journey.task.description')} {...item('description')} style={{ marginBottom: 8 }}>
            <Input.TextArea value={step.description} autoSize={{ minRows: 1, maxRows: 4 }} maxLength={2000} onChange={(e) => set({ description: e.target.value })} data-testid="step-task-description" />
          </Form.Item>
          <Space wrap align="start">
            <Form.Item label={t('journey.task.due')} {...item('dueInHours')} style={{ marginBottom: 0 }}>
              <InputNumber min={0} precision={0} value={step.dueInHours} onChange={(v) => set({ dueInHours: v })} suffix={t('journey.hours')} style={{ width: 140 }} data-testid="step-task-due" />
            </Form.Item>
            <Form.Item label={t('journey.task.assignee')} {...item('assignee')} style={{ marginBottom: 0 }}>
              <Select
                value={step.assignee}
                onChange={(v) => set({ assignee: v })}
                style={{ width: 200 }}
                options={(['OWNER', 'MANAGER', 'USER'] as const).map((a) => ({ value: a, label: t(`journey.assignee.${a}`) }))}
                data-testid="step-task-assignee"
              />
            </Form.Item>
            {step.assignee === 'USER' && (
              <Form.Item label={t('journey.task.user')} required {...item('userID')} style={{ marginBottom: 0 }} extra={canUsers ? undefined : t('journey.task.noUsers')}>
                <Select
                  value={step.userID || undefined}
                  onChange={(v: string) => set({ userID: v })}
                  style={{ width: 200 }}
                  showSearch={{ optionFilterProp: 'label' }}
                  options={users.filter((u) => u.active).map((u) => ({ value: u.id, label: u.name }))}
                  data-testid="step-task-user"
                />
              </Form.Item>
            )}
          </Space>
        </>
      );
      break;
    case 'sendMessage': {
      const list = channels.data?.channels ?? [];
      body = (
        <>
          <Space wrap align="start">
            <Form.Item label={t('journey.msg.channel')} required {...item('channel')} style={{ marginBottom: 8 }}>
              {can('channel', 'read') ? (
                <Select value={step.channel || undefined} onChange={(v: string) => set({ channel: v })} style={{ width: 200 }} options={list.map((c) => ({ value: c.key, label: c.enabled ? c.key : `${c.key} (off)`, disabled: !c.enabled }))} data-testid="step-channel" />
              ) : (
                <Input value={step.channel} onChange={(e) => set({ channel: e.target.value })} style={{ width: 200 }} data-testid="step-channel" />
              )}
            </Form.Item>
            <Form.Item label={t('journey.msg.subject')} {...item('subject')} style={{ marginBottom: 8 }}>
              <Input value={step.subject} maxLength={200} onChange={(e) => set({ subject: e.target.value })} style={{ width: mobile ? '100%' : 320 }} data-testid="step-subject" />
            </Form.Item>
          </Space>
          <Form.Item label={t('journey.msg.template')} required extra={t('journey.msg.templateHint')} {...item('template')} style={{ marginBottom: 0 }}>
            <Input.TextArea value={step.template} autoSize={{ minRows: 2, maxRows: 8 }} onChange={(e) => set({ template: e.target.value })} data-testid="step-template" />
          </Form.Item>
        </>
      );
      break;
    }
    case 'moveStage':
      body = (
        <Form.Item label={t('journey.stageTarget')} required {...item('stageID')} style={{ marginBottom: 0 }}>
          <Select value={step.stageID || undefined} onChange={(v: string) => set({ stageID: v })} showSearch={{ optionFilterProp: 'label' }} options={stages.map((s) => ({ value: s.id, label: `${s.pipelineName} / ${s.name}` }))} data-testid="step-stage" />
        </Form.Item>
      );
      break;
    case 'reassign':
      body = (
        <Space wrap align="start">
          <Form.Item label={t('journey.reassign.to')} {...item('to')} style={{ marginBottom: 0 }}>
            <Radio.Group value={step.to} onChange={(e) => set({ to: e.target.value })} options={(['RULES', 'POOL'] as const).map((o) => ({ value: o, label: t(`journey.reassignTo.${o}`) }))} data-testid="step-reassign-to" />
          </Form.Item>
          {step.to === 'RULES' && (
            <Form.Item label={t('journey.reassign.exclude')} {...item('excludeCurrentOwner')} style={{ marginBottom: 0 }}>
              <Switch checked={step.excludeCurrentOwner} onChange={(v) => set({ excludeCurrentOwner: v })} />
            </Form.Item>
          )}
        </Space>
      );
      break;
    case 'webhook':
      body = (
        <Form.Item label={t('journey.webhook.url')} required extra={t('journey.webhook.hint')} {...item('url')} style={{ marginBottom: 0 }}>
          <Input value={step.url} placeholder="https://" onChange={(e) => set({ url: e.target.value })} data-testid="step-webhook-url" />
        </Form.Item>
      );
      break;
  }

  return (
    <Card
      size="small"
      type="inner"
      style={{ marginBottom: 12, borderColor: hasErrors ? '#ff4d4f' : undefined }}
      data-testid="journey-step"
      data-index={index}
      data-kind={step.kind}
      data-error={hasErrors || undefined}
      title={
        <Space>
          <Tag color={hasErrors ? 'red' : 'blue'}>{t('journey.stepN', { n: index + 1 })}</Tag>
          <span>{t(`journeyStep.${step.kind}` as MessageKey)}</span>
        </Space>
      }
      extra={
        <Space size={0}>
          <Tooltip title={t('journey.moveUp')}><Button type="text" size="small" icon={<ArrowUpOutlined />} disabled={index === 0} onClick={() => onMove(-1)} aria-label={t('journey.moveUp')} /></Tooltip>
          <Tooltip title={t('journey.moveDown')}><Button type="text" size="small" icon={<ArrowDownOutlined />} disabled={index === count - 1} onClick={() => onMove(1)} aria-label={t('journey.moveDown')} /></Tooltip>
          <Tooltip title={t('journey.removeStep')}><Button type="text" size="small" danger icon={<DeleteOutlined />} onClick={onRemove} aria-label={t('journey.removeStep')} data-testid="step-remove" /></Tooltip>
        </Space>
      }
    >
      {hasErrors && (
        <Alert type="error" showIcon style={{ marginBottom: 12 }} title={t('journey.stepHasErrors')} description={stepAlert.join('; ') || undefined} data-testid="journey-step-error" />
      )}
      <Form layout="vertical" component={false}>{body}</Form>
    </Card>
  );
}

/** The fields a step's form shows errors on (the others go in the step's alert). */
function fieldsOf(kind: StepKind): string[] {
  switch (kind) {
    case 'wait':
      return ['days', 'hours', 'minutes', 'atLocalTime'];
    case 'condition':
      return ['rule', 'otherwise'];
    case 'addTags':
    case 'removeTags':
      return ['tagIDs'];
    case 'createTask':
      return ['title', 'description', 'dueInHours', 'assignee', 'userID'];
    case 'sendMessage':
      return ['channel', 'subject', 'template'];
    case 'moveStage':
      return ['stageID'];
    case 'reassign':
      return ['to', 'excludeCurrentOwner'];
    case 'webhook':
      return ['url'];
  }
}
