/**
 * The EHRs (CDS Clients) this service trusts, from `CDS_TRUSTED_CLIENTS` (JSON) or
 * `CDS_TRUSTED_CLIENTS_FILE`. Each client is identified by the JWT `iss` it signs with and names
 * where its public keys come from: a JWKS URL, inline public keys, and/or the `jku` URLs it may
 * put in a token header. A `jku` not on its client's list is never fetched.
 */
import { z } from 'zod';

/** One public JWK as configured inline; private or symmetric key material is refused. */
export interface PublicJwk {
  kty: 'EC' | 'RSA';
  kid?: string;
  alg?: string;
  use?: string;
  [member: string]: unknown;
}

export interface TrustedClient {
  /** The JWT `iss` (a URI, not necessarily a URL: cds-hooks/docs#87). */
  iss: string;
  /** The client's JWK Set URL (normalized `href`), fetched and cached; refetched on an unknown `kid`. */
  jwksUrl?: string;
  /** Public keys exchanged out of band. */
  jwks?: { keys: PublicJwk[] };
  /** `jku` header values honoured for this client (normalized `href`s); empty: `jku` is never honoured. */
  jkuAllowlist: string[];
  /** When set, a token must carry a `tenant` on this list. */
  tenants?: string[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Key URLs must be https. Plain http is accepted only on a loopback host (a key server on the same
 * machine, used by tests and local demos): nobody else can sit between the service and it.
 */
export function keyUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return `"${text}" must be an https URL (plain http only on 127.0.0.1, [::1] or localhost)`;
}

const keyUrl = z
  .string()
  .superRefine((text, ctx) => {
    const problem = keyUrlProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((text) => new URL(text).href);

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const publicJwk = z
  .looseObject({
    kty: z.enum(['EC', 'RSA'], { message: 'kty must be "EC" or "RSA" (symmetric keys are never accepted)' }),
    kid: z.string().min(1).optional(),
    alg: z.enum(['ES384', 'RS384'], { message: 'alg, when given, must be ES384 or RS384' }).optional(),
    use: z.literal('sig', { message: 'use, when given, must be "sig"' }).optional(),
  })
  .superRefine((jwk, ctx) => {
    const found = PRIVATE_MEMBERS.filter((m) => m in jwk);
    if (found.length > 0) {
      ctx.addIssue({ code: 'custom', message: `private key material (${found.join(', ')}): configure public keys only` });
    }
  });

const clientSchema = z
  .strictObject({
    iss: z.string().trim().min(1, 'iss is required'),
    jwksUrl: keyUrl.optional(),
    jwks: z.strictObject({ keys: z.array(publicJwk).min(1, 'jwks.keys must not be empty') }).optional(),
    jkuAllowlist: z.array(keyUrl).default([]),
    tenants: z.array(z.string().min(1)).min(1, 'tenants, when given, must not be empty').optional(),
  })
  .refine((c) => c.jwksUrl !== undefined || c.jwks !== undefined || c.jkuAllowlist.length > 0, {
    message: 'each client needs jwksUrl, jwks or jkuAllowlist (where its keys come from)',
  });

const clientsSchema = z.array(clientSchema).superRefine((clients, ctx) => {
  const seen = new Set<string>();
  clients.forEach((c, i) => {
    if (seen.has(c.iss)) ctx.addIssue({ code: 'custom', path: [i, 'iss'], message: `duplicate iss "${c.iss}"` });
    seen.add(c.iss);
  });
});

/**
 * Parses the JSON text of a trusted-client list. Problems are returned, each prefixed with
 * `source` (the variable or file it came from), never thrown.
 */
export function parseTrustedClients(text: string, source: string): { value?: TrustedClient[]; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [`${source}: not valid JSON (${(error as Error).message})`] };
  }
  const parsed = clientsSchema.safeParse(json);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => {
        const where = issue.path.length > 0 ? `[${issue.path.map(String).join('.')}]` : '';
        return `${source}${where}: ${issue.message}`;
      }),
    };
  }
  const value = parsed.data.map((c): TrustedClient => ({
    iss: c.iss,
    jkuAllowlist: c.jkuAllowlist,
    ...(c.jwksUrl ? { jwksUrl: c.jwksUrl } : {}),
    ...(c.jwks ? { jwks: { keys: c.jwks.keys as PublicJwk[] } } : {}),
    ...(c.tenants ? { tenants: c.tenants } : {}),
  }));
  return { value, problems: [] };
}
