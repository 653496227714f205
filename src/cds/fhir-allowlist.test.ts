import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { createFhirAllowlist, normaliseFhirBase, pathUnderBase } from './fhir-allowlist.js';

const allow = (allowlist: string[], allowHttp: string[] = []) => createFhirAllowlist({ allowlist, allowHttp });

describe('normaliseFhirBase', () => {
  it('lower-cases scheme and host, drops the default port and trailing slashes, keeps path case', () => {
    expect(normaliseFhirBase('HTTPS://EHR.Example.ORG:443/R4/fhir/')).toBe('https://ehr.example.org/R4/fhir');
    expect(normaliseFhirBase('http://localhost:80/fhir//')).toBe('http://localhost/fhir');
    expect(normaliseFhirBase('https://ehr.example.org')).toBe('https://ehr.example.org');
    expect(normaliseFhirBase('https://ehr.example.org:8443/fhir')).toBe('https://ehr.example.org:8443/fhir');
  });

  it('refuses anything that is not a plain http(s) base', () => {
    for (const bad of [
      'ehr.example.org/fhir', 'ftp://ehr.example.org', 'https://user:pw@ehr.example.org', 'https://ehr.example.org@evil.com',
      'https://ehr.example.org/fhir?x=1', 'https://ehr.example.org/fhir#frag', 'https://ehr.example.org/fhir?', 'not a url', '',
    ]) {
      expect(normaliseFhirBase(bad), bad).toBeUndefined();
    }
  });
});

describe('createFhirAllowlist', () => {
  const list = allow(['https://ehr.example.org/fhir'], ['http://localhost:8080/fhir']);

  it('allows a listed base however its case, default port and trailing slash are written', () => {
    for (const ok of ['https://ehr.example.org/fhir', 'HTTPS://EHR.EXAMPLE.ORG/fhir/', 'https://ehr.example.org:443/fhir', 'http://localhost:8080/fhir/']) {
      expect(list.match(ok), ok).toBeDefined();
    }
    expect(list.match('https://ehr.example.org/fhir/')).toBe('https://ehr.example.org/fhir');
  });

  it('refuses look-alikes: longer host, user-info, other port, other path, other scheme', () => {
    for (const bad of [
      'https://ehr.example.org.evil.com/fhir',
      'https://ehr.example.org@evil.com/fhir',
      'https://evil.com@ehr.example.org/fhir',
      'https://ehr.example.org:8443/fhir',
      'https://ehr.example.org/fhir2',
      'https://ehr.example.org/fhir/Patient',
      'https://ehr.example.org/',
      'https://ehr.example.org/FHIR',
      'http://ehr.example.org/fhir',
      'https://localhost:8080/fhir',
      'http://localhost:8081/fhir',
      'https://ehr.example.org/fhir?x=https://ehr.example.org/fhir',
      'https://ehr.example.org/fhir#x',
      'https://ehr.example.org/other/../fhir/..',
    ]) {
      expect(list.match(bad), bad).toBeUndefined();
    }
  });

  it('allows nothing when nothing is configured', () => {
    expect(allow([]).match('https://ehr.example.org/fhir')).toBeUndefined();
  });

  it('allows a string only when it really names the listed server (property over near-misses)', () => {
    const base = 'https://ehr.example.org/fhir';
    const tricky = fc.string({ unit: fc.constantFrom('.', '@', ':', '/', '?', '#', '%', '\\', ' ', 'e', 'F', '1'), maxLength: 4 });
    const nearMiss = fc.tuple(fc.nat(base.length), tricky).map(([i, s]) => base.slice(0, i) + s + base.slice(i));
    /** Independent oracle: what WHATWG URL says the string points at. */
    const namesListedServer = (raw: string): boolean => {
      try {
        const u = new URL(raw);
        return u.protocol === 'https:' && u.hostname === 'ehr.example.org' && u.port === '' && !u.username && !u.password &&
          !u.search && !u.hash && !raw.includes('?') && !raw.includes('#') && /^\/fhir\/*$/.test(u.pathname);
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.oneof(nearMiss, fc.webUrl({ withQueryParameters: true, withFragments: true })), (candidate) => {
        expect(list.match(candidate) !== undefined).toBe(namesListedServer(candidate) || normaliseFhirBase(candidate) === 'http://localhost:8080/fhir');
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses to start with an http entry in CDS_FHIR_ALLOWLIST, pointing at CDS_FHIR_ALLOW_HTTP', () => {
    expect(() => allow(['http://ehr.example.org/fhir'])).toThrow(ConfigError);
    expect(() => allow(['http://ehr.example.org/fhir'])).toThrow(/CDS_FHIR_ALLOWLIST: "http:\/\/ehr.example.org\/fhir" is not https.*CDS_FHIR_ALLOW_HTTP/s);
  });

  it('refuses malformed entries and https entries in CDS_FHIR_ALLOW_HTTP, listing every problem', () => {
    try {
      allow(['not a url', 'https://ok.example.org'], ['https://ehr.example.org/fhir', 'http://u:secret@localhost/fhir']);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/^CDS_FHIR_ALLOWLIST: "not a url" is not valid/);
      expect(problems[1]).toMatch(/^CDS_FHIR_ALLOW_HTTP: .* is not plain http; list https servers in CDS_FHIR_ALLOWLIST/);
      expect(problems[2]).toMatch(/^CDS_FHIR_ALLOW_HTTP: /);
      expect(problems.join('\n')).not.toContain('secret'); // a password in the entry is not echoed
    }
  });
});

describe('pathUnderBase', () => {
  const base = 'https://ehr.example.org/fhir';

  it('gives the part of a link below the base', () => {
    expect(pathUnderBase('https://ehr.example.org/fhir/Observation?patient=1&page=2', base)).toBe('Observation?patient=1&page=2');
    expect(pathUnderBase('HTTPS://EHR.example.org:443/fhir/Observation?p=2', `${base}/`)).toBe('Observation?p=2');
    expect(pathUnderBase('Observation?page=3', base)).toBe('Observation?page=3'); // relative link, read against the base
    expect(pathUnderBase('https://ehr.example.org/Observation?p=2', 'https://ehr.example.org')).toBe('Observation?p=2');
  });

  it('is undefined for a link off the base', () => {
    for (const off of [
      'https://evil.com/fhir/Observation',
      'https://ehr.example.org.evil.com/fhir/Observation',
      'https://ehr.example.org@evil.com/fhir/Observation',
      'https://u@ehr.example.org/fhir/Observation',
      'https://ehr.example.org:8443/fhir/Observation',
      'http://ehr.example.org/fhir/Observation',
      'https://ehr.example.org/fhir2/Observation',
      'https://ehr.example.org/fhir/../admin',
      '../admin',
      '//evil.com/fhir/Observation',
      'https://ehr.example.org/fhir',
      'https://ehr.example.org/fhir/',
    ]) {
      expect(pathUnderBase(off, base), off).toBeUndefined();
    }
  });
});
