export * from './discover';
export * from './packages';
export * from './registry';
export * from './select';
