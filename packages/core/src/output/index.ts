export * from './format';
export * from './levels';
export * from './output';
export * from './untrusted';
