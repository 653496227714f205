// Part of `npm run build`: copies fhirclient's browser build (a development dependency) next to the
// compiled service, so the SMART app's page is served from dist/ and a production install does not
// carry fhirclient and its 34 packages (core-js, a second jose, …) for one browser file.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const target = path.join(root, 'dist/vendor');
mkdirSync(target, { recursive: true });
copyFileSync(require.resolve('fhirclient/build/fhir-client.pure.min.js'), path.join(target, 'fhir-client.pure.min.js'));
