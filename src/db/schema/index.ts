// Every table of mainspring, one file per area. drizzle-kit reads this to generate migrations.
export * from './payments';
export * from './models';
export * from './learning';
export * from './replay';
export * from './outbox';
