export * from './backend';
export type * from './database';
export * from './host';
export type * from './image-name';
export type * from './records';
export type * from './storage';
