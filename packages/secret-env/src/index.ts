export { readSecretEnv, SecretEnvError, type SecretSpec } from './secret-env';
export { urlWithPassword } from './url-password';
