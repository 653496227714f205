/**
 * Patient ids are never stored in clear: the store keeps HMAC-SHA256(secret, patient id) instead.
 * The secret comes from PATIENT_KEY_SECRET or, when that is unset, is generated once and kept in
 * the store's `meta` table (CdsStore.patientKeySecret()).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Turns a FHIR Patient id into the key stored in its place. */
export type PatientKeyer = (patientId: string) => string;

/** HMAC-SHA256 of the patient id under the secret, as 64 lower-case hex characters. */
export function patientKey(secret: string, patientId: string): string {
  if (secret.length === 0) throw new Error('patientKey: empty secret');
  return createHmac('sha256', secret).update(patientId, 'utf8').digest('hex');
}

/** A keyer bound to one secret: `const key = patientKeyer(await store.patientKeySecret())`. */
export function patientKeyer(secret: string): PatientKeyer {
  if (secret.length === 0) throw new Error('patientKeyer: empty secret');
  return (patientId) => patientKey(secret, patientId);
}

/** A new random secret (256 bits, hex), for a store that has none configured. */
export function generatePatientKeySecret(): string {
  return randomBytes(32).toString('hex');
}

/** The `meta` key under which a generated secret is kept. */
export const PATIENT_KEY_SECRET_META = 'patient_key_secret';
