export * from './atomic-write';
export * from './backend-settings';
export * from './env';
export * from './secrets';
