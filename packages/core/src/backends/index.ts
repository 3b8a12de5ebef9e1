export * from './discover';
export { backendContext, backendHost } from './host';
export * from './packages';
export * from './registry';
export * from './select';
