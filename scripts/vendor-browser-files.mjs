// Part of `npm run build`: puts the browser files next to the compiled service, so the built
// service serves them from dist/: the SMART app's own files (src/smart/public, which tsc does not
// copy) into dist/src/smart/public, and fhirclient's browser build (a development dependency) into
// dist/vendor, so a production install does not carry fhirclient and its 34 packages (core-js, a
// second jose, …) for one browser file.
import { cpSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const vendor = path.join(root, 'dist/vendor');
mkdirSync(vendor, { recursive: true });
copyFileSync(require.resolve('fhirclient/build/fhir-client.pure.min.js'), path.join(vendor, 'fhir-client.pure.min.js'));

// Replaced as a whole, so that a file removed from the sources is not served from an old build.
const app = path.join(root, 'dist/src/smart/public');
rmSync(app, { recursive: true, force: true });
cpSync(path.join(root, 'src/smart/public'), app, { recursive: true });
