export * from './cli-runner';
export * from './conformance/index';
export * from './hub-server/index';
export * from './nock';
export * from './oci-registry/index';
export * from './registry-server/index';
export * from './sif-writer';
export * from './verdaccio';
