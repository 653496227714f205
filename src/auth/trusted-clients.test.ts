import { describe, expect, it } from 'vitest';
import { keyUrlProblem, parseTrustedClients } from './trusted-clients.js';

const EC_PUBLIC = { kty: 'EC', crv: 'P-384', kid: 'k1', x: 'x', y: 'y', alg: 'ES384', use: 'sig' };
const problemsOf = (value: unknown) => parseTrustedClients(JSON.stringify(value), 'CDS_TRUSTED_CLIENTS').problems;

describe('key URL policy', () => {
  it('accepts https anywhere and plain http only on a loopback host', () => {
    expect(keyUrlProblem('https://ehr.example.org/.well-known/jwks.json')).toBeUndefined();
    expect(keyUrlProblem('http://127.0.0.1:8081/jwks.json')).toBeUndefined();
    expect(keyUrlProblem('http://localhost/jwks.json')).toBeUndefined();
    expect(keyUrlProblem('http://[::1]:9000/jwks.json')).toBeUndefined();
    expect(keyUrlProblem('http://ehr.example.org/jwks.json')).toMatch(/https/);
    expect(keyUrlProblem('http://127.0.0.1.evil.example/jwks.json')).toMatch(/https/);
    expect(keyUrlProblem('file:///etc/jwks.json')).toMatch(/https/);
    expect(keyUrlProblem('not a url')).toMatch(/not a URL/);
  });
});

describe('parseTrustedClients', () => {
  it('reads the three key sources and normalizes URLs', () => {
    const { value, problems } = parseTrustedClients(
      JSON.stringify([
        { iss: 'https://sandbox.cds-hooks.org', jwksUrl: 'https://sandbox.cds-hooks.org/.well-known/jwks.json' },
        { iss: 'urn:ehr:b', jwks: { keys: [EC_PUBLIC] }, tenants: ['t1'] },
        { iss: 'https://c.example', jkuAllowlist: ['HTTPS://C.example/jwks'] },
      ]),
      'CDS_TRUSTED_CLIENTS',
    );
    expect(problems).toEqual([]);
    expect(value).toEqual([
      { iss: 'https://sandbox.cds-hooks.org', jwksUrl: 'https://sandbox.cds-hooks.org/.well-known/jwks.json', jkuAllowlist: [] },
      { iss: 'urn:ehr:b', jwks: { keys: [EC_PUBLIC] }, jkuAllowlist: [], tenants: ['t1'] },
      { iss: 'https://c.example', jkuAllowlist: ['https://c.example/jwks'] },
    ]);
  });

  it('names the variable and the entry in every problem', () => {
    expect(parseTrustedClients('{oops', 'CDS_TRUSTED_CLIENTS').problems[0]).toMatch(/^CDS_TRUSTED_CLIENTS: not valid JSON/);
    expect(problemsOf({ iss: 'x', jwksUrl: 'https://x' })[0]).toMatch(/^CDS_TRUSTED_CLIENTS: /);
    expect(problemsOf([{ iss: 'x' }])[0]).toMatch(/^CDS_TRUSTED_CLIENTS\[0\]: .*jwksUrl, jwks or jkuAllowlist/);
    expect(problemsOf([{ iss: '', jwksUrl: 'https://x.example' }])[0]).toMatch(/^CDS_TRUSTED_CLIENTS\[0\.iss\]/);
    expect(problemsOf([{ iss: 'x', jwksUrl: 'http://x.example/jwks' }])[0]).toMatch(/^CDS_TRUSTED_CLIENTS\[0\.jwksUrl\]: .*https/);
    expect(problemsOf([{ iss: 'x', jkuAllowlist: ['http://x.example/jwks'] }])[0]).toMatch(/jkuAllowlist\.0.*https/);
    expect(problemsOf([{ iss: 'x', jwksUrl: 'https://x.example', typo: 1 }])[0]).toMatch(/typo/);
    expect(problemsOf([{ iss: 'x', jwksUrl: 'https://x.example' }, { iss: 'x', jwksUrl: 'https://y.example' }])[0]).toMatch(/duplicate iss/);
  });

  it('refuses private or symmetric key material and algorithms other than ES384/RS384', () => {
    expect(problemsOf([{ iss: 'x', jwks: { keys: [{ ...EC_PUBLIC, d: 'secret' }] } }])[0]).toMatch(/private key material \(d\)/);
    expect(problemsOf([{ iss: 'x', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }])[0]).toMatch(/kty must be "EC" or "RSA"/);
    expect(problemsOf([{ iss: 'x', jwks: { keys: [{ ...EC_PUBLIC, alg: 'HS256' }] } }])[0]).toMatch(/ES384 or RS384/);
    expect(problemsOf([{ iss: 'x', jwks: { keys: [] } }])[0]).toMatch(/must not be empty/);
  });
});
