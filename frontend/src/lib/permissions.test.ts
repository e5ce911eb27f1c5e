import { describe, expect, it } from 'vitest';
import { homePage, makeCan, visiblePages, type Perm } from './permissions';

const p = (resource: string, action: string): Perm => ({ resource, action });

// Abridged from policies/builtin.csv.
const rep = [p('lead', 'read'), p('lead', 'write'), p('lead', 'claim'), p('lead', 'release'), p('field', 'read'), p('pipeline', 'read'), p('tag', 'read'), p('pool', 'read'), p('task', 'read'), p('task', 'write')];
const manager = [p('lead', 'read'), p('lead', 'assign'), p('pool', 'read'), p('pool', 'write'), p('report', 'read'), p('user', 'read'), p('field', 'read')];
const analyst = [p('lead', 'read'), p('segment', 'read'), p('segment', 'write'), p('broadcast', 'read'), p('broadcast', 'write'), p('report', 'read')];
const partner = [p('lead', 'read'), p('lead', 'write'), p('field', 'read'), p('pipeline', 'read')];

describe('makeCan', () => {
  it('matches exact pairs and wildcards', () => {
    const can = makeCan([p('lead', 'read'), p('segment', '*')]);
    expect(can('lead', 'read')).toBe(true);
    expect(can('lead', 'write')).toBe(false);
    expect(can('segment', 'delete')).toBe(true);
    expect(makeCan([p('*', '*')])('policy', 'write')).toBe(true);
    expect(makeCan([])('lead', 'read')).toBe(false);
  });
});

describe('visiblePages', () => {
  it('hides every settings page from a rep', () => {
    const pages = visiblePages(makeCan(rep));
    expect(pages).toEqual(['home', 'leads', 'duplicates', 'pool', 'tasks']);
    expect(pages.some((x) => x.startsWith('settings.'))).toBe(false);
  });
  it('gives a manager the pool settings but not the schema', () => {
    const pages = visiblePages(makeCan(manager));
    expect(pages).toContain('settings.pools');
    expect(pages).not.toContain('settings.fields');
    expect(pages).toContain('funnel');
  });
  it('gives an analyst segments, broadcasts and the funnel', () => {
    expect(visiblePages(makeCan(analyst))).toEqual(['home', 'leads', 'segments', 'broadcasts', 'funnel']);
  });
  it('gives a partner only the home page, the leads list and the duplicates of its leads', () => {
    expect(visiblePages(makeCan(partner))).toEqual(['home', 'leads', 'duplicates']);
  });
  it('gives an admin everything', () => {
    expect(visiblePages(makeCan([p('*', '*')]))).toHaveLength(21);
  });

  it('shows the jobs page to whoever may start a job or sees every job', () => {
    for (const perm of [p('lead.import', 'write'), p('lead.export', 'read'), p('lead.bulk', 'write'), p('job', 'manage')]) {
      expect(visiblePages(makeCan([perm])), `${perm.resource} ${perm.action}`).toEqual(['jobs']);
    }
    expect(visiblePages(makeCan([p('lead.export', 'write'), p('job', 'read')]))).toEqual([]);
    expect(visiblePages(makeCan(partner))).not.toContain('jobs');
    expect(homePage(makeCan([p('lead.export', 'read')]))).toBe('/jobs');
  });

  it('shows the API keys page with apikey read', () => {
    expect(visiblePages(makeCan([p('apikey', 'read')]))).toEqual(['settings.apiKeys']);
    expect(visiblePages(makeCan(analyst))).not.toContain('settings.apiKeys');
  });
});

describe('tasks and contact-way codes', () => {
  it('shows the task centre with task read, the contact-way codes with channel read and the media library with channel write', () => {
    expect(visiblePages(makeCan([p('task', 'write')]))).not.toContain('tasks');
    expect(visiblePages(makeCan([p('task', 'read')]))).toEqual(['tasks']);
    expect(visiblePages(makeCan(analyst))).not.toContain('tasks');
    expect(visiblePages(makeCan([p('channel', 'write')]))).toEqual(['wecom.media']);
    expect(visiblePages(makeCan([p('channel', 'read'), p('channel', 'write')]))).toEqual(['wecom.contact-ways', 'wecom.media']);
    expect(visiblePages(makeCan([p('channel', 'read')]))).toEqual(['wecom.contact-ways']);
  });
  it('lands a user who may open only one of them there', () => {
    expect(homePage(makeCan([p('task', 'read')]))).toBe('/tasks');
    expect(homePage(makeCan([p('channel', 'read')]))).toBe('/wecom/contact-ways');
    expect(homePage(makeCan([p('channel', 'write')]))).toBe('/wecom/media');
  });
});

describe('homePage', () => {
  it('lands on the first page the user may open', () => {
    expect(homePage(makeCan(rep))).toBe('/home');
    expect(homePage(makeCan([p('segment', 'read')]))).toBe('/segments');
    expect(homePage(makeCan([p('rule', 'write')]))).toBe('/settings/rules');
    expect(homePage(makeCan([]))).toBe('/welcome');
  });
});

describe('journeys', () => {
  it('shows the journeys with journey read, not to a rep', () => {
    expect(visiblePages(makeCan([p('journey', 'read')]))).toEqual(['journeys']);
    expect(visiblePages(makeCan([p('journey', 'write')]))).toEqual([]);
    expect(visiblePages(makeCan(rep))).not.toContain('journeys');
    expect(homePage(makeCan([p('journey', 'read')]))).toBe('/journeys');
  });
});
