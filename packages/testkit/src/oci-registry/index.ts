export { makeCertificates, type TestCertificates } from './certs';
export {
  DISTRIBUTION_BINARY,
  type DistributionHandle,
  type DistributionOptions,
  distributionAvailable,
  freePort,
  startDistribution,
} from './distribution';
export { startTokenServer, type TokenServerHandle, type TokenServerOptions } from './token-server';
