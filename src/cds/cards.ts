/**
 * Findings → cards on this service: the domain's renderer (src/cop/cards.ts) told where each app
 * a finding may name is launched. A rule links to "the taper-plan app"; the URL is the CDS layer's
 * business (the SMART routes serve the app at the path src/smart/constants.ts names).
 */
import { renderCard as renderFinding, type RenderOptions as FindingRenderOptions } from '../cop/cards.js';
import type { Finding, ServiceApp } from '../cop/rule-types.js';
import { SMART_LAUNCH_PATH } from '../smart/constants.js';
import type { Card } from './wire.js';

export type { SiteOverrideReasons } from '../cop/cards.js';
export type RenderOptions = Omit<FindingRenderOptions, 'appPaths'>;

/** The launch path of each app of this service, relative to the service's base URL. */
export const APP_LAUNCH_PATHS: Readonly<Record<ServiceApp, string>> = { 'taper-plan': SMART_LAUNCH_PATH };

export function renderCard(finding: Finding, options: RenderOptions): Card {
  return renderFinding(finding, { ...options, appPaths: APP_LAUNCH_PATHS });
}
