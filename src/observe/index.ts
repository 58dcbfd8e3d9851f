/** The observation toolkit: runners and parsers for curl, ping, conntrack and sweeps, and the probe builder. */
export * from './curl';
export * from './ping';
export * from './conntrack';
export * from './sweep';
export * from './probe';
