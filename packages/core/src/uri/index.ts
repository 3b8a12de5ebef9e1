export * from './parse';
export * from './scheme';
