/**
 * The user tokens of a CDS Hooks 2.0 prefetch template (§Prefetch tokens): each names the id of
 * `context.userId` when the user is of its resource type (`{{userPractitionerId}}` is `abc` for
 * `Practitioner/abc`, and has no value for `PractitionerRole/abc`). One list for the service's
 * template filling and definition checks and for the CLI's discovery checks.
 */

/** Each user token and the resource type of `context.userId` it stands for. */
export const USER_TOKEN_TYPES = {
  userPractitionerId: 'Practitioner',
  userPractitionerRoleId: 'PractitionerRole',
  userPatientId: 'Patient',
  userRelatedPersonId: 'RelatedPerson',
} as const;

export type UserToken = keyof typeof USER_TOKEN_TYPES;

export const USER_TOKENS: ReadonlySet<string> = new Set(Object.keys(USER_TOKEN_TYPES));

/** The value of each user token for `context.userId` (`Type/id`): the id where the type matches, else none. */
export function userTokenValues(userId: string): Record<UserToken, string | undefined> {
  const [type, id] = userId.split('/');
  const values = {} as Record<UserToken, string | undefined>;
  for (const [token, tokenType] of Object.entries(USER_TOKEN_TYPES) as [UserToken, string][]) {
    values[token] = type === tokenType ? id : undefined;
  }
  return values;
}
