import { describe, expect, it } from 'vitest';
import { decideLink, namesFromProfile } from './crm-link.ts';

describe('decideLink', () => {
  const c1 = { type: 'Contact' as const, id: 'c1' };
  const c2 = { type: 'Contact' as const, id: 'c2' };
  const l1 = { type: 'Lead' as const, id: 'l1' };
  const l2 = { type: 'Lead' as const, id: 'l2' };

  it('links a single contact, even beside leads', () => {
    expect(decideLink([l1, c1])).toMatchObject({ status: 'linked', contactId: 'c1', leadId: null });
  });
  it('links a single lead when there is no contact', () => {
    expect(decideLink([l1])).toMatchObject({ status: 'linked', contactId: null, leadId: 'l1' });
  });
  it('flags several contacts or several leads for a person to choose', () => {
    expect(decideLink([c1, c2, l1])).toEqual({
      status: 'ambiguous',
      contactId: null,
      leadId: null,
      candidates: [c1, c2],
    });
    expect(decideLink([l1, l2])).toEqual({
      status: 'ambiguous',
      contactId: null,
      leadId: null,
      candidates: [l1, l2],
    });
  });
  it('reports no match', () => {
    expect(decideLink([])).toEqual({ status: 'unmatched' });
  });
});

describe('namesFromProfile', () => {
  it('splits first and last names and falls back when there is no profile name', () => {
    expect(namesFromProfile('Maria da Silva', 'x')).toEqual({ firstName: 'Maria da', lastName: 'Silva' });
    expect(namesFromProfile('Cher', 'x')).toEqual({ firstName: null, lastName: 'Cher' });
    expect(namesFromProfile('  ', '+5511999')).toEqual({ firstName: null, lastName: '+5511999' });
  });
});
