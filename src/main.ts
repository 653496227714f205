/**
 * Process entry point: read configuration, build the app, listen, and shut down gracefully on
 * SIGTERM/SIGINT (stop accepting, finish in-flight calls, then exit).
 */
import pino from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type AppConfig } from './config.js';

/** Bad configuration: one readable line naming each problem, no stack trace, exit code 2. */
function refuseConfiguration(error: ConfigError): never {
  pino({ base: { service: 'cop-cds-hooks' } }).fatal({ problems: error.problems }, 'invalid configuration; not starting');
  process.exit(2);
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) refuseConfiguration(error);
    throw error;
  }

  const app = await buildApp(config);
  if (!config.auth.enabled) {
    app.log.warn(
      { CDS_AUTH: 'off', explicit: config.auth.explicit },
      'authentication is OFF: any caller can use this service (set CDS_TRUSTED_CLIENTS and CDS_AUTH=on for production)',
    );
  } else {
    app.log.info({ trustedClients: config.auth.trustedClients.map((c) => c.iss) }, 'client authentication is on');
  }
  if (config.site.file) {
    app.log.info(
      {
        file: config.site.file,
        localCopCodes: config.site.localCodes.cop?.length ?? 0,
        overrideReasonRules: Object.keys(config.site.overrideReasons),
      },
      'site configuration loaded',
    );
  }
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  if (!config.hostExplicit && config.host === '127.0.0.1') {
    app.log.info({ host: config.host }, 'listening on 127.0.0.1 only (development default); set HOST=0.0.0.0 to accept connections from other machines');
  }
  await app.listen({ port: config.port, host: config.host });
  if (app.metricsApp && config.metricsPort !== undefined) {
    await app.metricsApp.listen({ port: config.metricsPort, host: config.host });
  }
}

main().catch((error: unknown) => {
  // buildApp checks what the schema cannot (e.g. the FHIR allow-list) and throws ConfigError too.
  if (error instanceof ConfigError) refuseConfiguration(error);
  pino({ base: { service: 'cop-cds-hooks' } }).fatal({ err: error }, 'failed to start');
  process.exit(1);
});
