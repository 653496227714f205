/**
 * Paths and ids of the taper-plan SMART app, shared by the routes that serve it and the CDS layer
 * that links cards to it (src/cds/cards.ts). No imports, no Fastify: the layer test lets the
 * protocol layer import this module and nothing else of src/smart.
 */
export const SMART_PREFIX = '/smart';
/** The SMART launch URL (relative to the service's base URL) of COP-R01's smart link. */
export const SMART_LAUNCH_PATH = `${SMART_PREFIX}/launch.html`;
/** The OAuth client id the app uses unless launch.html is given `client_id`. */
export const SMART_CLIENT_ID_DEFAULT = 'cop-taper-plan';
